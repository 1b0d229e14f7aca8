#!/usr/bin/perl

# End to end on a real Docker engine and swarm (started by the test run
# if none answers): the stack of docker/stack.yml, deployed as its own
# stack on free ports; spread and stickiness, swarm_status, scaling 2 to
# 5 with the delay until new tasks get visitors, a rolling update and a
# scale-down under 8 sticky clients, reloads under load, and the Docker
# socket taken away.  The stack is removed at the end.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX qw(:sys_wait_h);
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;
use SwarmE2E;

my $top = abs_path('.');
my $stack = 'swarme2e';
my $lb = free_port();
my $status_port = free_port();
my $dir = tempdir('swarm-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $sockdir = "/run/ngx-http-swarm-e2e";

$ENV{STACK} = $stack;
$ENV{LB_PORT} = $lb;
$ENV{STATUS_PORT} = $status_port;

system("$top/docker/demo.sh", 'setup') == 0
    or BAIL_OUT('set-up failed: no Docker engine, swarm or image');

# the socket through a directory of ours: a hard link we can remove

sub link_socket {
    my $real = readlink('/var/run') ? '/run/docker.sock' : '/var/run/docker.sock';
    unlink "$sockdir/docker.sock";
    link $real, "$sockdir/docker.sock"
        or BAIL_OUT("cannot link $real into $sockdir: $!");
}

mkdir $sockdir;
link_socket();

open my $in, '<', "$top/docker/nginx.conf" or die $!;
my $conf = do { local $/; <$in> };
close $in;
$conf =~ s{swarm_endpoint unix:/var/run/docker\.sock;}
          {swarm_endpoint unix:/var/run/docker-test/docker.sock;}
    or die 'no swarm_endpoint in docker/nginx.conf';
open my $out, '>', "$dir/nginx.conf" or die $!;
print $out $conf;
close $out;

$ENV{SOCK_DIR} = $sockdir;
$ENV{LB_CONF} = "$dir/nginx.conf";
$ENV{STACK_FILES} = "$top/t/e2e/stack-test.yml";

# what the run measured, printed again at the end if a test failed (a
# log's tail may be all that is kept of it)
my @said;

sub say_diag {
    my ($text) = @_;
    push @said, $text;
    diag $text;
}

my $cleanup = sub {
    if (@said && !Test::More->builder->is_passing) {
        diag "what this run measured:";
        diag "  $_" for @said;
    }
    system("$top/docker/demo.sh down");
    unlink "$sockdir/docker.sock";
    rmdir $sockdir;
};
END { local $?; $cleanup->() if $cleanup }

system("$top/docker/demo.sh", 'deploy') == 0 or BAIL_OUT('deploy failed');

sub get { SwarmTest::http_get($lb, '/', @_) }

sub status {
    my $r = SwarmTest::http_get($status_port, '/swarm');
    return $r->{status} == 200 ? decode_json($r->{body}) : undef;
}

# the routes upstream "swarm" of docker/nginx.conf, and the app's cookie
my $up = 'swarm';
my $ck = "route_${stack}_app";

sub active {
    my $s = status() or return ();
    return map { $_->{address} =~ /^([\d.]+):/ ? $1 : () }
        grep { $_->{state} eq 'active' } @{ $s->{upstreams}{$up}{peers} };
}

sub tasks_running { SwarmE2E::tasks_running("${stack}_app") }

# deploy waited for both app tasks in swarm_status; as Docker sees them

my @running = tasks_running();
say_diag(sprintf 'deployed: %d app tasks running, %d active in nginx',
    scalar @running, scalar(active()));

# spread and stickiness

my %hosts;
for (1 .. 20) {
    my $r = get();
    $hosts{(split ' ', $r->{body})[0]}++ if $r->{status} == 200;
}
cmp_ok(scalar keys %hosts, '>=', 2, '20 new visitors reach at least 2 tasks');

my $r = get();
my ($host, $ip) = split ' ', $r->{body};
like($r->{cookies}[0] // '', qr/^$ck=\Q$ip\E; Path=\/; HttpOnly; SameSite=Lax$/,
    'the first Set-Cookie names the answering task\'s IP');

my ($stay, $again) = (0, 0);
for (1 .. 20) {
    my $r = get("Cookie: $ck=$ip");
    $stay++ if $r->{body} eq "$host $ip";
    $again += @{ $r->{cookies} };
}
is($stay, 20, '20 requests with the cookie stay on that task');
is($again, 0, 'and get no new cookie');

is_deeply([sort(active())], [sort map { (split ' ', $_)[1] }
    map { get("Cookie: $ck=$_")->{body} } active()],
    'swarm_status lists the tasks that answer');
is(scalar(active()), 2, 'swarm_status: two active tasks');

# the metrics through the stack: the requests of each app task

my $metrics = SwarmTest::http_get($status_port, '/metrics');
is($metrics->{status}, 200, '/metrics answers through the stack');
my %counted = $metrics->{body} =~ /^nginx_swarm_task_requests_total\{[^}]*address="([\d.]+):\d+"\} (\d+)$/mg;
is_deeply([sort keys %counted], [sort(active())],
    'with the requests of each app task');
my $dash = SwarmTest::http_get($status_port, '/');
is($dash->{status}, 200, 'the dashboard answers through the stack');
like($dash->{body}, qr{<body data-status="/swarm" data-metrics="/metrics">},
    'reading /swarm and /metrics');

# scale 2 -> 5: how soon do new tasks get visitors?

# the scale command runs beside the loop that watches for the new tasks:
# the loop must not wait for the command to return

my %before = map { $_ => 1 } active();
my $t0 = time;
my $scale = fork();
die "fork: $!" unless defined $scale;
if ($scale == 0) {
    exec("docker service scale -d ${stack}_app=5 >/dev/null 2>&1")
        or POSIX::_exit(127);
}

my (%listed, %served);
my $end = time + 90;
while (time < $end && (keys %served < 5 || keys %listed < 5)) {
    my $now = time;
    $listed{$_} //= $now for active();
    my $r = get();
    my (undef, $a) = split ' ', $r->{body} // '';
    $served{$a} //= time if $r->{status} == 200 && $a;
}
waitpid $scale, 0;
is($?, 0, 'docker service scale');
is(scalar keys %served, 5, 'all five tasks receive visitors');
say_diag sprintf 'scale 2 -> 5: all five receive visitors %.1f s after the '
    . 'scale command', (sort { $b <=> $a } values %served)[0] - $t0;

# against what Swarm reports: the time each new task turned running

my $worst = 0;
for my $task (tasks_running()) {
    my $addr = SwarmE2E::task_addr($task);
    next if $before{$addr};
    my $ts = $task->{Status}{Timestamp};
    my $running = SwarmE2E::running_at($task) // next;
    my $delay = ($listed{$addr} // 1e9) - $running;
    $worst = $delay if $delay > $worst;
    say_diag sprintf 'task %s: running at %s, active in nginx %.0f ms later, '
        . 'first visitor %.0f ms later', $addr, $ts, $delay * 1000,
        (($served{$addr} // 1e9) - $running) * 1000;
}
cmp_ok($worst, '<', 1, 'new tasks are active in nginx within 1 s of running');

# 8 sticky clients through a rolling update and a scale-down

sub clients {
    my ($n, $seconds, %o) = @_;
    return SwarmE2E::clients(dir => $dir, n => $n, seconds => $seconds,
        port => $lb, cookie => qr/^(route_[^=]+=[^;]+)/, %o);
}

sub collect { SwarmE2E::collect($dir, @_) }

sub converged {
    my ($want) = @_;
    my $svc = `docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' ${stack}_app`;
    chomp $svc;
    return 0 if $svc eq 'updating' || $svc eq 'rollback_started';
    my $tasks = `docker service ps -q -f desired-state=running ${stack}_app | wc -l`;
    return 0 unless $tasks == $want;
    return scalar(active()) == $want && !grep { $_->{state} ne 'active' }
        @{ status()->{upstreams}{$up}{peers} };
}

my @pids = clients(8, 240);
sleep 1;
system("docker service update -d --force ${stack}_app >/dev/null 2>&1") == 0
    or die 'update failed';
sleep 2;
ok(wait_for(sub { converged(5) }, 150), 'rolling update done');
system("docker service scale -d ${stack}_app=2 >/dev/null 2>&1") == 0
    or die 'scale failed';
ok(wait_for(sub { converged(2) }, 90), 'scaled down to 2');
my ($ok, $bad, $moved) = collect(@pids);
cmp_ok($ok, '>', 100, "rolling update and scale-down: $ok requests");
is($bad, 0, 'no failed request') or diag `cat $dir/errors`;
say_diag "rolling update and scale 5 -> 2: $ok requests, $bad failed, "
    . "$moved cookie re-binds";

# reloads inside the load balancer under load

my $ctr = `docker ps -q -f label=com.docker.swarm.service.name=${stack}_lb`;
chomp $ctr;
ok($ctr, 'load balancer container');
@pids = clients(8, 60);
for (1 .. 3) {
    sleep 1;
    system("docker exec $ctr nginx -s reload") == 0 or diag 'reload failed';
}
sleep 1;
($ok, $bad) = collect(@pids);
cmp_ok($ok, '>', 50, "reloads under load: $ok requests");
is($bad, 0, 'no failed request across reloads');

# the Docker socket taken away: the last tasks keep serving

my @last = sort(active());
unlink "$sockdir/docker.sock";
ok(wait_for(sub { (status()->{upstreams}{$up}{last_error} // '') =~ /No such file or directory/ }, 15),
    'socket gone: status shows the error');
($ok, $bad) = (0, 0);
my %seen;
for (1 .. 20) {
    my $r = get();
    $r->{status} == 200 ? $ok++ : $bad++;
    $seen{(split ' ', $r->{body})[1] // ''}++;
}
is($bad, 0, 'socket gone: every request served');
is_deeply([sort keys %seen], \@last, 'by the last known tasks');
link_socket();
ok(wait_for(sub { !defined status()->{upstreams}{$up}{last_error} }, 15),
    'socket back: discovery recovers');

done_testing;
