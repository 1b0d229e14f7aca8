package SwarmTest;

# Test harness for t/*.t: starts nginx with the module (load_module), the
# Docker API stand-in (t/dockerd.py) on a unix socket, and loopback
# backends (t/backend.py), all in a temporary directory; talks HTTP to
# nginx over loopback with plain sockets.  Everything it starts is
# stopped when the test ends.

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP;
use Test::More ();
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);
use Cwd qw(abs_path);
use IPC::Open2 ();
use File::Basename qw(dirname);

our @EXPORT = qw(http_get http_echo wait_for free_port rss rss_slack
                 fixture fake_service fake_task traefik_service
                 router_labels traefik_stack);

my $T = abs_path(dirname(__FILE__) . '/..');
my @all;

sub new {
    my ($class, %opts) = @_;

    my $self = bless {
        dir => tempdir('swarm-test-XXXXXX', TMPDIR => 1,
            CLEANUP => !$ENV{SWARM_KEEP}),
        module => $ENV{SWARM_MODULE}
            || abs_path("$T/../build/ngx_http_swarm_module.so"),
        nginx => $ENV{NGINX_BIN} || '/usr/sbin/nginx',
        pids => {},
        %opts,
    }, $class;

    # nginx workers run as an unprivileged user: let them reach the socket
    chmod 0755, $self->{dir};

    # nginx opens its built-in error log before it reads the configuration
    mkdir "$self->{dir}/logs";

    $self->{port} = free_port();
    $self->{socket} = "$self->{dir}/docker.sock";
    push @all, $self;

    return $self;
}

sub dir { $_[0]{dir} }
sub port { $_[0]{port} }
sub socket_path { $_[0]{socket} }

# The stand-in's state: see t/dockerd.py for the keys.

sub state {
    my ($self, $state) = @_;
    my $file = "$self->{dir}/state.json";
    open my $fh, '>', "$file.tmp" or die "$file.tmp: $!";
    print $fh encode_json($state);
    close $fh;
    rename "$file.tmp", $file or die "rename: $!";
}

sub spawn {
    my ($self, $name, @cmd) = @_;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$self->{dir}/$name.out";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or die "exec @cmd: $!";
    }
    $self->{pids}{$name} = $pid;
    return $pid;
}

sub kill_child {
    my ($self, $name, $sig) = @_;
    my $pid = delete $self->{pids}{$name} or return;
    kill $sig || 'TERM', $pid;
    waitpid $pid, 0;
}

sub start_api {
    my ($self, %state) = @_;
    $self->state(\%state) unless -e "$self->{dir}/state.json" && !%state;
    unlink $self->{socket};
    $self->spawn('dockerd', 'python3', "$T/dockerd.py", "unix:$self->{socket}",
        "$self->{dir}/state.json", "$self->{dir}/api.log");
    wait_for(sub { -S $self->{socket} }, 10)
        or die "the Docker API stand-in did not start: "
            . $self->read_file('dockerd.out');
}

# The stand-in on a loopback port, "127.0.0.1:PORT", with TLS if given a
# certificate, its key and the CA of client certificates; as "name".

sub start_api_tcp {
    my ($self, $name, $listen, @tls) = @_;
    $self->state({}) unless -e "$self->{dir}/state.json";
    $self->spawn($name, 'python3', "$T/dockerd.py", $listen,
        "$self->{dir}/state.json", "$self->{dir}/api.log", @tls);
    wait_for(sub { IO::Socket::INET->new($listen) }, 10)
        or die "the Docker API stand-in did not start on $listen: "
            . $self->read_file("$name.out");
}

sub stop_api {
    my ($self) = @_;
    $self->kill_child('dockerd');
    unlink $self->{socket};
}

# Backends: "127.0.2.3:18080" ... each answers with its own address.

sub start_backends {
    my ($self, @addrs) = @_;
    my $name = 'backend-' . join('-', @addrs);
    $name =~ s/[^\w.-]/_/g;
    $self->spawn($name, 'python3', "$T/backend.py", @addrs);
    wait_for(sub { $self->read_file("$name.out") =~ /ready/ }, 10)
        or die "backends did not start: " . $self->read_file("$name.out");
    return $name;
}

sub conf {
    my ($self, $http, %opts) = @_;
    my $workers = $opts{workers} || 1;
    my $dir = $self->{dir};
    my $endpoint = $opts{endpoint} || "unix:$self->{socket}";
    my $port = $self->{port};
    my $level = $opts{log_level} || 'info';

    # SWARM_CORE=1: workers leave core files in the test directory
    my $core = '';
    if ($ENV{SWARM_CORE}) {
        chmod 0777, $dir;
        $core = "worker_rlimit_core 1g; working_directory $dir;";
    }

    # the tests' tasks are at loopback addresses, which the module
    # refuses unless swarm_allow names them: allowed, unless the test
    # has swarm_allow of its own or says loopback => 0
    if ($http !~ /swarm_allow/ && ($opts{loopback} // 1)) {
        $http = "    swarm_allow 127.0.0.0/8;\n$http";
    }

    $http =~ s/%%ENDPOINT%%/$endpoint/g;
    $http =~ s/%%PORT%%/$port/g;
    $http =~ s/%%DIR%%/$dir/g;

    open my $fh, '>', "$dir/nginx.conf" or die $!;
    print $fh <<"EOC";
load_module $self->{module};
daemon on;
master_process on;
worker_processes $workers;
error_log $dir/error.log $level;
pid $dir/nginx.pid;
$core
events { worker_connections 1024; }
http {
    log_format swarm '\$remote_addr "\$request" \$status '
                     'upstream="\$upstream_addr" '
                     'upstream_status="\$upstream_status"';
    access_log $dir/access.log swarm;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
$http
}
EOC
    close $fh;
}

# The configuration most tests use: the upstream "app" of the tasks
# labelled swarm.upstream=app on the backends' port, sticky, proxied at
# "/", with swarm_status at "/swarm"; $globals go to the http block.

sub conf_app {
    my ($self, $port, $globals, %opts) = @_;
    $self->conf(<<"EOC", %opts);
    swarm_endpoint %%ENDPOINT%%;
    $globals

    upstream app {
        swarm_service label=swarm.upstream=app port=$port;
        swarm_sticky;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location = /swarm { swarm_status; }
    }
EOC
}

# The configuration of the Traefik label tests: the routes upstream "tk"
# of every service labelled for Traefik, routed at "/" of the test's
# port (with $location's lines), swarm_status at "/swarm",
# swarm_metrics at "/metrics"; $server's lines go to the server block.

sub conf_routes {
    my ($self, %opts) = @_;
    my $server = delete $opts{server} // '';
    my $location = delete $opts{location} // '';
    $self->conf(<<"EOC", %opts);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        $server
        location = /swarm { swarm_status; }
        location = /metrics { swarm_metrics; }
        location / {
            swarm_route tk;
            proxy_pass http://tk;
            add_header X-Route \$swarm_route always;
            $location
        }
    }
EOC
}

sub run_nginx {
    my ($self, @args) = @_;
    # freed memory is filled with garbage: a use after free shows
    local $ENV{MALLOC_PERTURB_} = 165;

    # for an nginx built with sanitizers: nginx frees nothing at exit,
    # and a dynamic module repeats the binary's ngx_module_names
    local $ENV{ASAN_OPTIONS} = $ENV{ASAN_OPTIONS}
        || 'detect_leaks=0:detect_odr_violation=0:quarantine_size_mb=8';
    local $ENV{UBSAN_OPTIONS} = $ENV{UBSAN_OPTIONS} || 'print_stacktrace=1';
    my $out = `$self->{nginx} -p $self->{dir}/ -c $self->{dir}/nginx.conf @args 2>&1`;
    return ($? >> 8, $out);
}

sub start_nginx {
    my ($self) = @_;
    my ($rc, $out) = $self->run_nginx();
    die "nginx did not start: $out" if $rc;
    wait_for(sub { IO::Socket::INET->new("127.0.0.1:$self->{port}") }, 10)
        or die "nginx does not listen on $self->{port}";
    $self->{nginx_running} = 1;
}

# A reload; with "replace => 1", done once the old workers are gone, so
# that every request after it meets the new configuration.

sub reload {
    my ($self, %opts) = @_;
    my %old = map { $_ => 1 } $self->worker_pids;
    my ($rc, $out) = $self->run_nginx('-s', 'reload');
    die "reload: $out" if $rc;
    return 1 unless $opts{replace};
    return wait_for(sub { my @w = $self->worker_pids;
                          @w && !grep { $old{$_} } @w }, 10);
}

sub stop_nginx {
    my ($self) = @_;
    local $?;
    return unless $self->{nginx_running};
    $self->run_nginx('-s', 'stop');
    my $pid = $self->master_pid;
    wait_for(sub { !$pid || !kill 0, $pid }, 10);
    $self->{nginx_running} = 0;
}

sub master_pid {
    my ($self) = @_;
    my $pid = $self->read_file('nginx.pid');
    chomp $pid;
    return $pid;
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->master_pid or return ();
    my @pids = split ' ', `ps -o pid= --ppid $master -o cmd= | awk '/worker process/ {print \$1}'`;
    return @pids;
}

sub read_file {
    my ($self, $name) = @_;
    open my $fh, '<', "$self->{dir}/$name" or return '';
    local $/;
    return <$fh>;
}

sub error_log { $_[0]->read_file('error.log') }

# every address nginx connected to, from the access log
sub upstream_addrs {
    my ($self) = @_;
    my %a;
    for my $field ($self->read_file('access.log') =~ /upstream="([^"]*)"/g) {
        $a{$_}++ for $field =~ /([\d.]+:\d+|\[[\da-f:]+\]:\d+)/g;
    }
    return \%a;
}

sub api_log { $_[0]->read_file('api.log') }

sub status {
    my ($self, $query) = @_;
    my $r = http_get($self->{port}, '/swarm' . ($query // ''));
    return undef unless $r->{status} == 200;
    return decode_json($r->{body});
}

# wait until the routes of the upstream swarm_status shows have one of
# the service (10 s at the most)

sub wait_routes {
    my ($self, $upstream, $service) = @_;
    return wait_for(sub {
        my $s = $self->status('?peers=off') or return;
        grep { $_->{service} eq $service }
            @{ $s->{upstreams}{$upstream}{routes} || [] } }, 10);
}

# the routes of the upstream not routed, as "service: why"

sub route_errors {
    my ($self, $upstream) = @_;
    my $s = $self->status('?peers=off') or return ();
    return map { "$_->{service}: $_->{error}" }
        @{ $s->{upstreams}{$upstream}{route_errors} || [] };
}

sub peers {
    my ($self, $upstream) = @_;
    my $s = $self->status;
    my $u = $s && $s->{upstreams}{$upstream || 'app'};
    my @peers = $u ? map { $_->{address} . ' ' . $_->{state} }
                         @{ $u->{peers} } : ();

    # a count in scalar context, 0 while there is no status
    return @peers;
}

sub get {
    my ($self, $path, @headers) = @_;
    return http_get($self->{port}, $path, @headers);
}

# a request with that Host ("METHOD path" as http_get() takes it)

sub host_get {
    my ($self, $host, $path, @headers) = @_;
    return http_get($self->{port}, $path // '/', "Host: $host", @headers);
}

# Background load: $clients processes, each requesting $path one after
# another (a new connection each, 10 ms apart) until load_stop() or
# $seconds; load_stop() returns the totals: requests, failed (not 200
# or an answer from no known task), the worst latency, and the answers
# seen.  $ok (a regexp) says what a good answer body is.

sub load_start {
    my ($self, %o) = @_;
    my $clients = $o{clients} || 6;
    my $seconds = $o{seconds} || 60;
    my $ok = $o{ok} || qr/^127\./;
    my $stop = "$self->{dir}/load.stop";
    unlink $stop;
    my @pids;
    for my $c (1 .. $clients) {
        my $pid = fork();
        if ($pid == 0) {
            my ($n, $bad, $worst, %seen) = (0, 0, 0);
            my $end = time + $seconds;
            while (!-e $stop && time < $end && $n < 100000) {
                my $r = http_get($self->{port}, $o{path} || '/');
                $n++;
                if ($r->{status} == 200 && $r->{body} =~ $ok) {
                    my ($who) = $r->{body} =~ /^(\S+)/;
                    $seen{$who}++;
                } else {
                    $bad++;
                }
                $worst = $r->{time} if $r->{time} > $worst;
                sleep 0.01;
            }
            open my $fh, '>', "$self->{dir}/load.$c";
            print $fh "$n $bad $worst " . join(',', sort keys %seen) . "\n";
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return { pids => \@pids, stop => $stop };
}

sub load_stop {
    my ($self, $load) = @_;
    open my $fh, '>', $load->{stop}; close $fh;
    waitpid $_, 0 for @{ $load->{pids} };
    my %t = (n => 0, bad => 0, worst => 0, seen => {});
    for my $c (1 .. @{ $load->{pids} }) {
        my ($n, $bad, $worst, $seen) = split ' ', $self->read_file("load.$c");
        $t{n} += $n;
        $t{bad} += $bad;
        $t{worst} = $worst if $worst > $t{worst};
        $t{seen}{$_} = 1 for split /,/, $seen // '';
    }
    return \%t;
}

# Memory a test may see a worker take on, in kB: an nginx built with
# AddressSanitizer holds freed memory and its shadow for a while, so
# there the allowance is larger (SWARM_ASAN=1, set by make test-asan).

sub rss_slack {
    my ($kb) = @_;
    return $ENV{SWARM_ASAN} ? $kb * 4 : $kb;
}

# resident memory of a process, in kB

sub rss {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

# Lines of the error log a test expects, as nginx-tests' Test::Nginx
# has them said: an [alert], an [emerg] or a worker that exited on a
# signal fails the test file unless one of these patterns matches it.

sub allow {
    my ($self, @patterns) = @_;
    push @{ $self->{allowed} }, @patterns;
}

# The lines of the error log that fail a test file: alerts, emergencies
# and crashed workers that the test did not say it expects.

sub unexpected {
    my ($self) = @_;
    my @lines = grep { /^\S+ \S+ \[(?:alert|emerg)\] / || /exited on signal/ }
        $self->error_log =~ /^(\S+ \S+ \[\w+\] .*)$/mg;
    my @allowed = @{ $self->{allowed} || [] };
    return grep { my $l = $_; !grep { $l =~ $_ } @allowed } @lines;
}

# Ends a test file: stops nginx, then fails if the error log holds an
# alert, an emergency or a crashed worker the test does not expect, or
# a sanitizer (in an nginx built with them) reported anything.

sub done_testing {
    my ($self) = @_;
    $self->finish;
    Test::More::done_testing();
}

# The same for one of several instances in a test file: nginx stopped
# and its error log checked.

sub finish {
    my ($self) = @_;
    $self->stop_nginx;
    my @bad = $self->unexpected;
    Test::More::is(scalar @bad, 0,
        'no alert, emerg or crashed worker in the error log')
        or Test::More::diag(join "\n", @bad);
    my @reports = $self->error_log
        =~ /^(.*(?:ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer).*)$/mg;
    Test::More::is(scalar @reports, 0, 'no sanitizer report')
        or Test::More::diag($self->error_log);
}

# A headless Chromium (Debian's), its DevTools on a port of ours, and
# the page at URL in a tab, driven by t/cdp.py: returns a function that
# sends one command ("eval JS", "key KEY", "size W H", "shot FILE") and
# returns its value; undef if Chromium did not start.

sub browser {
    my ($self, $url) = @_;
    my $dp = free_port();
    $self->spawn('chromium', 'chromium', '--headless', '--no-sandbox',
        '--disable-gpu', '--no-first-run', '--disable-extensions',
        '--disable-background-timer-throttling',
        '--disable-renderer-backgrounding',
        '--disable-backgrounding-occluded-windows',
        "--user-data-dir=$self->{dir}/chromium",
        "--remote-debugging-port=$dp", '--remote-allow-origins=*',
        'about:blank');
    wait_for(sub { IO::Socket::INET->new("127.0.0.1:$dp") }, 30)
        or return undef;
    my $pid = IPC::Open2::open2(my $out, my $in, '/usr/bin/python3',
        "$T/cdp.py", $dp, $url);
    $self->{cdp} = [ $pid, $in ];
    return sub {
        my ($cmd) = @_;
        $cmd =~ s/\n\s*/ /g;
        print $in "$cmd\n";
        my $line = <$out> // '{"ok":false,"error":"cdp.py is gone"}';
        my $a = decode_json($line);
        Test::More::diag("cdp: $cmd: $a->{error}") unless $a->{ok};
        return $a->{value};
    };
}

sub browser_close {
    my ($self) = @_;
    my $cdp = delete $self->{cdp} or return;
    close $cdp->[1];
    waitpid $cdp->[0], 0;
    $self->kill_child('chromium');
}

sub DESTROY {
    my ($self) = @_;
    $self->cleanup;
}

sub cleanup {
    my ($self) = @_;
    local $?;
    return if $self->{cleaned}++;
    $self->browser_close;
    $self->stop_nginx;
    for my $name (keys %{ $self->{pids} }) {
        $self->kill_child($name, 'KILL');
    }
}

END { $_->cleanup for @all }

# a recorded engine answer of t/fixtures/docker-20.10, decoded

sub fixture {
    my ($name) = @_;
    open my $fh, '<', "$T/fixtures/docker-20.10/$name" or die "$name: $!";
    local $/;
    return decode_json(<$fh>);
}

# A service and a task of it, made of the recorded mystack_app and one
# of its running tasks: the service numbered $n, named $name with the
# labels given; the task of ID $id, with its first attachment.

my ($app_service, $app_task);

sub fake_service {
    my ($n, $name, $labels) = @_;
    unless ($app_service) {
        ($app_service) = grep { $_->{Spec}{Name} eq 'mystack_app' }
            @{ fixture('services-all.json') };
        ($app_task) = grep { $_->{ServiceID} eq $app_service->{ID} }
            @{ fixture('tasks-all.json') };
    }
    my $s = decode_json(encode_json($app_service));
    $s->{ID} = sprintf 'svc%022d', $n;
    $s->{Spec}{Name} = $name;
    $s->{Spec}{Labels} = $labels;
    return $s;
}

sub fake_task {
    my ($service, $id) = @_;
    my $k = decode_json(encode_json($app_task));
    $k->{ID} = $id;
    $k->{ServiceID} = $service->{ID};
    return $k;
}

# A service labelled for Traefik (enabled, its Traefik service on $port),
# pushed onto @$services, with a task at each 10.x address of @$addrs
# pushed onto @$tasks (the stand-in serves them as 127.x); numbered by
# its place.

sub traefik_service {
    my ($services, $tasks, $name, $port, $addrs, %labels) = @_;
    my $n = @$services + 1;
    my $s = fake_service($n, $name, { 'traefik.enable' => 'true',
        "traefik.http.services.$name.loadbalancer.server.port" => "$port",
        %labels });
    push @$services, $s;
    for my $i (0 .. $#$addrs) {
        my $k = fake_task($s, sprintf 'tsk%08d%014d', $n, $i);
        $k->{NetworksAttachments}[0]{Addresses} = [ "$addrs->[$i]/24" ];
        push @$tasks, $k;
    }
    return $s;
}

# the labels of a router of the host NAME.test, with those middlewares

sub router_labels {
    my ($name, $mws) = @_;
    return ("traefik.http.routers.$name.rule" => "Host(`$name.test`)",
        ($mws ? ("traefik.http.routers.$name.middlewares" => $mws) : ()));
}

# A stack of services labelled for Traefik, each with a task at NET.N
# (its number): $stack->service(NAME, LABELS), $stack->router(NAME,
# MIDDLEWARES, LABELS) for a router of NAME.test; $stack->{services} and
# $stack->{tasks} for the API stand-in.

sub traefik_stack {
    my ($port, $net) = @_;
    return bless { port => $port, net => $net, services => [], tasks => [] },
        'SwarmTest::Stack';
}

sub SwarmTest::Stack::service {
    my ($self, $name, %labels) = @_;
    my $n = @{ $self->{services} } + 1;
    return traefik_service($self->{services}, $self->{tasks}, $name,
        $self->{port}, [ "$self->{net}.$n" ], %labels);
}

sub SwarmTest::Stack::router {
    my ($self, $name, $mws, %labels) = @_;
    return $self->service($name, router_labels($name, $mws), %labels);
}

# a port free now, and never one given before in this process (the kernel
# may hand the same ephemeral port out twice in a row)

my %ports_given;

sub free_port {
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
            LocalPort => 0, Proto => 'tcp', ReuseAddr => 1) or die $!;
        my $port = $s->sockport;
        close $s;
        return $port unless $ports_given{$port}++;
    }
    die "no free port\n";
}

sub wait_for {
    my ($cond, $timeout) = @_;
    my $end = time + ($timeout || 5);
    while (time < $end) {
        my $v = $cond->();
        return $v if $v;
        sleep 0.05;
    }
    return undef;
}

# One HTTP/1.0 request; returns { status, headers => [[k, v]...],
# header => { lc k => v (last) }, cookies => [Set-Cookie values], body,
# time }.

sub http_get {
    my ($port, $path, @headers) = @_;
    my $t0 = time;
    # a path, or "METHOD path"
    my $method = $path =~ s/^([A-Z]+) // ? $1 : 'GET';
    # a port of 127.0.0.1, or "address:port"
    my $s = IO::Socket::INET->new(
        PeerAddr => $port =~ /:/ ? $port : "127.0.0.1:$port",
        Timeout => 10) or return { status => 0, error => "$!", time => 0 };
    my $req = "$method $path HTTP/1.0\r\n";
    $req .= "Host: localhost\r\n" unless grep { /^Host:/i } @headers;
    $req .= "$_\r\n" for @headers;
    $req .= "\r\n";
    print $s $req;
    local $/;
    my $data = '';
    eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm 15;
        $data = <$s> // '';
        alarm 0;
    };
    alarm 0;
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my %r = (status => 0, headers => [], header => {}, cookies => [],
        body => $body // '', time => time - $t0, raw => $data);
    my @lines = split /\r\n/, $head // '';
    my $first = shift @lines // '';
    ($r{status}) = $first =~ m{^HTTP/\S+ (\d+)};
    $r{status} //= 0;
    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        push @{ $r{headers} }, [$k, $v];
        $r{header}{lc $k} = $v;
        push @{ $r{cookies} }, $v if lc $k eq 'set-cookie';
    }
    $r{body} =~ s/\n\z//;
    return \%r;
}

# A request with "X-Echo: 1", which t/backend.py answers with the
# request as it came: { path, headers, h => { lc name => value } }, or
# undef where it was not served

sub http_echo {
    my ($port, $host, $path, @headers) = @_;
    my $r = http_get($port, $path // '/', "Host: $host", 'X-Echo: 1',
        @headers);
    return undef unless $r->{status} == 200;
    my $e = eval { decode_json($r->{body}) } or return undef;
    $e->{h} = { map { (lc $_->[0] => $_->[1]) } @{ $e->{headers} } };
    return $e;
}

1;
