package SwarmCluster;

# A swarm of several Docker engines on this one machine, for t/e2e:
# each dockerd in a network namespace of its own ("swcN", address
# 10.99.0.N on a bridge that lives in a namespace of its own, "swcbr",
# not in the host's, whose FORWARD chain is Docker's), with its own data
# root, exec root, socket (/run/swc/nN/docker.sock), cgroup parent and
# key, and a host name of its own.  The host reaches the nodes through
# a veth of its own, 10.99.0.254, on that bridge.  There is no default
# route in the namespaces: nothing is pulled, images are loaded.
#
#   SwarmCluster::up(3);             # engines up, swarm of 3 managers
#   SwarmCluster::docker(1, 'node', 'ls');
#   SwarmCluster::kill_node(2);      # engine and containers, SIGKILL
#   SwarmCluster::down();

use strict;
use warnings;
use Time::HiRes qw(time sleep);

my $RUN = '/run/swc';
my $DATA = '/var/lib/swc';
my @started;

sub sh {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    die "$cmd: $out" if $?;
    return $out;
}

sub socket_of { "$RUN/n$_[0]/docker.sock" }

# docker of node $n; the output, dying on failure
sub docker {
    my ($n, @args) = @_;
    my $cmd = join ' ', 'docker', '-H', 'unix://' . socket_of($n),
        map { "'$_'" } @args;
    return sh($cmd);
}

sub up {
    my ($n, %o) = @_;
    my $image = $o{image} || 'ngx-http-swarm:local';

    down();

    # the network: a bridge in a namespace, a veth into each node's

    sh('ip netns add swcbr');
    sh('ip -n swcbr link add br0 type bridge');
    sh('ip -n swcbr link set br0 up');
    for my $i (1 .. $n) {
        sh("ip netns add swc$i");
        sh("ip link add swcv$i netns swcbr type veth peer name eth0 netns swc$i");
        sh("ip -n swcbr link set swcv$i master br0");
        sh("ip -n swcbr link set swcv$i up");
        sh("ip -n swc$i addr add 10.99.0.$i/24 dev eth0");
        sh("ip -n swc$i link set eth0 up");
        sh("ip -n swc$i link set lo up");
    }
    sh('ip link add swch type veth peer name swcvh netns swcbr');
    sh('ip -n swcbr link set swcvh master br0');
    sh('ip -n swcbr link set swcvh up');
    sh('ip addr add 10.99.0.254/24 dev swch');
    sh('ip link set swch up');

    # each engine: in its network namespace, with a mount namespace of
    # its own where /sys is that network's (with the host's cgroups
    # mounted back) and a host name of its own

    for my $i (1 .. $n) {
        my $d = "$RUN/n$i";
        sh("mkdir -p $d $DATA/n$i");
        open my $fh, '>', "$d/daemon.json" or die $!;
        print $fh qq({ "deprecated-key-path": "$d/key.json" }\n);
        close $fh;

        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            open STDIN, '<', '/dev/null';
            open STDOUT, '>', "$d/dockerd.log";
            open STDERR, '>&', \*STDOUT;
            exec 'nsenter', "--net=/run/netns/swc$i", 'unshare', '-m',
                '--uts', '--propagation', 'private', 'sh', '-c',
                "mkdir -p $d/cg && mount --rbind /sys/fs/cgroup $d/cg"
                . " && mount -t sysfs sysfs /sys"
                . " && mount --rbind $d/cg /sys/fs/cgroup"
                . " && hostname swc$i"
                . " && exec dockerd --config-file $d/daemon.json"
                . " --data-root $DATA/n$i --exec-root $d/exec"
                . " --pidfile $d/docker.pid -H unix://$d/docker.sock"
                . " --cgroup-parent swc-n$i";
            die "exec: $!";
        }
        push @started, $pid;
    }

    for my $i (1 .. $n) {
        my $end = time + 30;
        sleep 0.2 until (-S socket_of($i)
            && !system('docker -H unix://' . socket_of($i)
                       . ' info >/dev/null 2>&1')) || time > $end;
        time <= $end or die "engine $i did not start: "
            . `tail -5 $RUN/n$i/dockerd.log`;
    }

    # the swarm: all managers, heartbeats of a second so that a node
    # lost is marked down in seconds

    docker(1, 'swarm', 'init', '--advertise-addr', '10.99.0.1');
    docker(1, 'swarm', 'update', '--dispatcher-heartbeat', '1s');
    my $token = docker(1, 'swarm', 'join-token', '-q', 'manager');
    chomp $token;
    for my $i (2 .. $n) {
        docker($i, 'swarm', 'join', '--advertise-addr', "10.99.0.$i",
            '--token', $token, '10.99.0.1:2377');
    }

    for my $i (1 .. $n) {
        sh("docker save $image | docker -H unix://" . socket_of($i)
           . ' load -q');
    }

    return 1;
}

# what runs of node $i: its engine (and containerd, the shims), and the
# containers, by the network namespace and by the cgroup parent

sub pids_of {
    my ($i) = @_;
    my @pids = split ' ', `ip netns pids swc$i 2>/dev/null`;
    for my $f (glob("/sys/fs/cgroup/*/swc-n$i/*/cgroup.procs"),
               glob("/sys/fs/cgroup/swc-n$i/*/cgroup.procs")) {
        open my $fh, '<', $f or next;
        push @pids, map { chomp; $_ } <$fh>;
    }
    my %u = map { $_ => 1 } grep { /^\d+$/ } @pids;
    return keys %u;
}

# node $i lost: its engine and its containers killed at once
sub kill_node {
    my ($i) = @_;
    for (1 .. 5) {
        my @pids = pids_of($i);
        last unless @pids;
        kill 'KILL', @pids;
        sleep 0.2;
    }
}

sub down {
    for my $i (1 .. 9) {
        next unless -e "/run/netns/swc$i";
        if (open my $fh, '<', "$RUN/n$i/docker.pid") {
            my $pid = <$fh>;
            kill 'TERM', $pid if $pid && $pid =~ /^\d+$/;
        }
    }
    my $end = time + 10;
    sleep 0.2 while grep({ pids_of($_) } 1 .. 9) && time < $end;
    kill_node($_) for 1 .. 9;
    waitpid $_, 0 for @started;
    @started = ();
    system('ip link del swch 2>/dev/null');
    system("ip netns del $_ 2>/dev/null")
        for 'swcbr', map { "swc$_" } 1 .. 9;
    system("rm -rf $RUN $DATA");

    # the cgroups the engines made for their containers
    for my $d (sort { length $b <=> length $a }
               glob('/sys/fs/cgroup/*/swc-n*/* /sys/fs/cgroup/*/swc-n*'
                    . ' /sys/fs/cgroup/swc-n*/* /sys/fs/cgroup/swc-n*')) {
        rmdir $d if -d $d;
    }
}

1;
