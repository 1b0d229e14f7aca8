#!/usr/bin/perl

# make bench (second part): the module with a large generated swarm
# (t/bench/gen-swarm.py: 1,000 services of 10 tasks labelled
# swarm.upstream=big, one of 3 tasks labelled swarm.upstream=small, and
# two shut down tasks per slot beside them), one nginx worker, and
# prints:
#
#   - the refreshes: the first (every task new), one with nothing new,
#     one after a rolling update of 100 tasks, the fifth such, and the
#     first of a reload's new worker; for each, its CPU time in the
#     worker, its wall time, the longest step, bytes asked from the
#     API, tasks parsed and tasks known unchanged (swarm_status);
#   - how long after a fresh start a request is first answered by a
#     task;
#   - the worst and 99th percentile latency of requests the same worker
#     answers while those refreshes run, as the client saw them, and of
#     the slow ones, from sent until nginx logged them ($msec), which
#     leaves out the client's own turns on the CPU;
#   - the swarm_zone memory in use with 10,003 peers;
#   - req/s through the upstream of 10,000 peers and the one of 3 peers,
#     rounds interleaved, for returning visitors (cookies naming 3 tasks
#     of each, keepalive to the backends) and new visitors (every
#     request assigned a task, a new backend connection each), and the
#     ratios big/small;
#   - how long a worker's copy of the 10,000 peers takes with keyed
#     cookies (value=hmac), after a reload, against the copy without.
#
# One backend nginx listens on the wildcard address and answers for every
# task address (127.1.x.y).
#
# Environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS
# (32), SCALE_SERVICES (1000), SCALE_REPLICAS (10), SCALE_HISTORY (2).

use strict;
use warnings;
use lib 't/lib';
use SwarmTest;
use SwarmBench qw(rounds median ratio);
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(time sleep);

my $rounds = $ENV{BENCH_ROUNDS} || 5;
my $seconds = $ENV{BENCH_SECONDS} || 5;
my $conns = $ENV{BENCH_CONNECTIONS} || 32;
my @shape = ($ENV{SCALE_SERVICES} || 1000, $ENV{SCALE_REPLICAS} || 10,
    $ENV{SCALE_HISTORY} // 2, 100);

my $t = SwarmTest->new;
my $dir = $t->dir;
my $bp = free_port();

print "generating the swarm: ";
system('python3', 't/bench/gen-swarm.py', $dir, $bp, @shape) == 0
    or die 'gen-swarm.py failed';

open my $fh, '>', "$dir/backends.conf" or die $!;
print $fh "daemon on; worker_processes 1; pid $dir/backends.pid;\n"
    . "error_log $dir/backends.log; events { worker_connections 8192; }\n"
    . "http { access_log off; keepalive_requests 100000;\n"
    . "server { listen $bp; location / { return 200 \"\$server_addr\\n\"; } }\n"
    . "}\n";
close $fh;
system($t->{nginx}, '-p', "$dir/", '-c', "$dir/backends.conf") == 0
    or die 'backends did not start';

$t->start_api(services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks.json");

my $big = free_port();
my $small = free_port();

my $locations = <<'EOF';
        location / {
            proxy_pass http://UP;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /new {
            proxy_pass http://UP;
        }
EOF

my ($lbig, $lsmall) = map { (my $l = $locations) =~ s/UP/$_/g; $l }
    qw(big small);

$t->conf(<<"EOF", log_level => 'error', workers => 1);
    access_log off;
    log_format ping '\$arg_n \$msec';
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;
    swarm_zone 16m;

    # the stand-in reads the 42 MB of tasks again to answer by ID: seconds
    swarm_timeout 30s;

    upstream big {
        swarm_service label=swarm.upstream=big;
        swarm_sticky;
        keepalive 32;
    }
    upstream small {
        swarm_service label=swarm.upstream=small;
        swarm_sticky;
        keepalive 32;
    }

    server {
        listen 127.0.0.1:$big;
$lbig    }
    server {
        listen 127.0.0.1:$small;
$lsmall    }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
        location = /ping { access_log $dir/ping.log ping; return 204; }
    }
EOF

# a probe: one keepalive connection, one request after another, to the
# worker that refreshes; latencies over 1 ms are written down

my $probe_file = "$dir/probe.out";
my $probe_end = "$dir/probe.stop";

sub probe {
    my $pid = fork();
    return $pid if $pid;
    my ($n, @slow, @all) = (0);
    my $deadline = time + 300;
    my $s;
    while (!-e $probe_end && time < $deadline && $n < 5_000_000) {
        $s ||= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $t->port, Proto => 'tcp');
        unless ($s) { sleep 0.01; next; }
        my $t0 = time;
        print $s "GET /ping?n=$n HTTP/1.1\r\nHost: x\r\n\r\n";
        my $resp = '';
        while ($resp !~ /\r\n\r\n/) {
            my $got = sysread($s, $resp, 4096, length $resp);
            last unless $got;
        }
        my $dt = time - $t0;
        if ($resp !~ m{^HTTP/1.1 204}) { undef $s; next; }
        $n++;
        push @slow, sprintf("%.6f %.6f %d", $t0, $dt, $n - 1)
            if $dt > 0.001;
        push @all, $dt if $n % 16 == 0;
    }
    open my $out, '>', $probe_file;
    my @sorted = sort { $a <=> $b } @all;
    printf $out "%d %.6f\n", $n, @sorted ? $sorted[int(@sorted * 0.99)] : 0;
    print $out "$_\n" for @slow;
    close $out;
    POSIX::_exit(0);
}

sub probe_stop {
    my ($pid) = @_;
    open my $f, '>', $probe_end; close $f;
    waitpid $pid, 0;
    unlink $probe_end;
    my @lines = split /\n/, $t->read_file('probe.out');
    my ($n, $p99) = split ' ', shift @lines;
    my ($max, %sent) = (0);
    for (@lines) {
        my ($t0, $dt, $i) = split;
        $max = $dt if $dt > $max;
        $sent{$i} = $t0;
    }

    # of those the client saw late, how long from being sent until
    # nginx logged them ($msec): what of the wait was nginx's (the
    # others took under 1 ms all told)
    my ($in_nginx, $over) = (0, 0);
    open my $log, '<', "$dir/ping.log" or die "ping.log: $!";
    while (my $l = <$log>) {
        my ($i, $msec) = split ' ', $l;
        next unless defined $i && exists $sent{$i};
        my $w = $msec - $sent{$i};
        $in_nginx = $w if $w > $in_nginx;
        $over++ if $w > 0.001;
    }
    close $log;
    return ($n, $p99, $max, scalar @lines, $in_nginx, $over);
}

sub refresh {
    my ($what, $s) = @_;
    printf "  %-28s %8.1f %8d %7.1f %7.1f %10d %7d %9d\n", $what,
        $s->{sync_cpu_us} / 1000, $s->{sync_ms},
        $s->{sync_longest_step_us} / 1000,
        $s->{sync_longest_step_cpu_us} / 1000, $s->{sync_bytes},
        $s->{sync_tasks_parsed}, $s->{sync_tasks_reused};
}

my $running = -s "$dir/tasks.running.json";
my $all = -s "$dir/tasks.json";

print "\nrefreshes (one worker, swarm_interval 1s)\n";
printf "  %-28s %8s %8s %7s %7s %10s %7s %9s\n", '', 'cpu ms', 'wall ms',
    'step ms', 'cpu ms', 'bytes', 'parsed', 'unchanged';

my $probe = probe();
my $t0 = time;
$t->start_nginx;

# a fresh start: how long until a request is answered by a task

my $served;
wait_for(sub {
    my $r = SwarmTest::http_get($big, '/');
    ($r->{status} // 0) == 200 && ($served = time - $t0) }, 120)
    or die 'the big upstream served no request';

my $brief = '?peers=off';
wait_for(sub { my $s = $t->status($brief); $s && $s->{upstreams}{big}
        && $s->{upstreams}{big}{active} >= 10000 }, 120)
    or die 'the big upstream did not fill';
my $st = $t->status($brief);
refresh('first (every task new)', $st);

wait_for(sub { ($t->status($brief)->{sync_tasks_parsed} // 1) == 0 }, 30)
    or die 'no unchanged refresh';
refresh('nothing new', $t->status($brief));

my $gen = $st->{upstreams}{big}{generation};
$t->state({ services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks-changed.json" });
wait_for(sub { $t->status($brief)->{upstreams}{big}{generation} > $gen },
    30) or die 'the rolling update was not seen';
refresh('rolling update of 100 tasks', $t->status($brief));

# and more refreshes, the update undone and done again: the first
# changes also pay for memory touched the first time

for my $file (qw(tasks tasks-changed tasks tasks-changed)) {
    $gen = $t->status($brief)->{upstreams}{big}{generation};
    $t->state({ services_raw => "$dir/services.json",
        tasks_raw => "$dir/$file.json" });
    wait_for(sub { $t->status($brief)->{upstreams}{big}{generation} > $gen },
        30) or die 'a change was not seen';
}
refresh('the same, fifth time', $t->status($brief));

# a reload: the new worker 0's first refresh takes the tasks the last
# one parsed, kept in swarm_zone (the copy of the peers its workers
# make at start is not the one made once a generation)

my $view_copy = $t->status($brief)->{upstreams}{big}{view_build_us};
$t->reload(replace => 1) or die 'the reload did not replace the worker';
wait_for(sub { ($t->status($brief)->{sync_refreshes} // 0) == 1 }, 60)
    or die 'the new worker did not refresh';
refresh('first after a reload', $t->status($brief));
my $view_start = $t->status($brief)->{upstreams}{big}{view_build_us};
my ($n, $p99, $max, $slow, $in_nginx, $over) = probe_stop($probe);

printf "  answers asked per refresh: /services %d bytes, /tasks %d bytes"
    . " (all tasks with their history: %d bytes)\n",
    -s "$dir/services.json", $running, $all;
printf "  (step: the longest the worker spent on the refresh at once, and its"
    . " CPU time; wall includes the stand-in's own time)\n";
printf "  a fresh start answered its first request by a task %.0f ms after "
    . "nginx started\n", $served * 1000;
printf "\nrequests to the same worker meanwhile: %d, 99th percentile "
    . "%.2f ms, worst %.2f ms, %d over 1 ms as the client saw them;\n"
    . "  from sent to logged by nginx (\$msec): worst %.2f ms, %d over 1 ms\n",
    $n, $p99 * 1000, $max * 1000, $slow, $in_nginx * 1000, $over;

$st = $t->status($brief);
my $npeers = $st->{upstreams}{big}{active} + $st->{upstreams}{small}{active};
printf "\nswarm_zone: %d peers, %.2f MB in use (%d bytes a peer; while a "
    . "new set is published the old one stays until it is swapped in)\n",
    $npeers, $st->{zone_used} / 1048576, $st->{zone_used} / $npeers;
printf "a worker's own copy of the 10,000 peers, made once a generation: "
    . "%.1f ms\n", $view_copy / 1000;

# throughput: 10,003 peers against 3

my @bigtasks = map { "127.1.0.$_" } 2 .. 4;    # none of them replaced
my @smalltasks = map { "127.4.0.$_" } 1 .. 3;

for my $i (0 .. 2) {
    my $r = SwarmTest::http_get($big, '/', "Cookie: route=$bigtasks[$i]");
    $r->{body} =~ /^\Q$bigtasks[$i]\E\n?$/
        or die "big: cookie $bigtasks[$i] reached "
            . join(' ', map { "$_=" . ($r->{$_} // '') } sort keys %$r);
}

print "\n";
my $rps = rounds(dir => $dir, rounds => $rounds, seconds => $seconds,
    connections => $conns, workloads => [qw(returning new)],
    proxies => [big => [$big, [map { "route=$_" } @bigtasks], '/new'],
                small => [$small, [map { "route=$_" } @smalltasks], '/new']]);
my %rps = %$rps;

print "\nmedian req/s ($rounds rounds of ${seconds}s, $conns connections, "
    . "one worker)\n";
printf "%-22s %12s %12s\n", 'upstream', 'returning', 'new';
printf "%-22s %12.0f %12.0f\n", "big (" . ($npeers - 3) . " peers)",
    median(@{ $rps{big}{returning} }), median(@{ $rps{big}{new} });
printf "%-22s %12.0f %12.0f\n", 'small (3 peers)',
    median(@{ $rps{small}{returning} }), median(@{ $rps{small}{new} });
printf "big/small, round by round %9.3f %12.3f\n",
    ratio($rps{big}{returning}, $rps{small}{returning}),
    ratio($rps{big}{new}, $rps{small}{new});

# the same copy with keyed cookies: a reload with value=hmac on big, and
# the new worker's copy at start

my $view_ip = $view_start;
open $fh, '>', "$dir/route.key" or die $!;
print $fh "a key for the scale benchmark, 32\n";
close $fh;
my $conf = $t->read_file('nginx.conf');
$conf =~ s/(swarm_service label=swarm\.upstream=big;\s*swarm_sticky)/$1 value=hmac key_file=route.key/
    or die 'no upstream big in nginx.conf';
open $fh, '>', "$dir/nginx.conf" or die $!;
print $fh $conf;
close $fh;
$t->reload(replace => 1) or die 'the reload did not replace the worker';
wait_for(sub { ($t->status($brief)->{upstreams}{big}{view_build_us} // 0) > 0 }, 30);
my $view_hmac = $t->status($brief)->{upstreams}{big}{view_build_us};
printf "
the copy of the 10,000 peers with value=hmac: %.1f ms (%.1f ms "
    . "without; %.2f us a task for its keyed value)\n", $view_hmac / 1000,
    $view_ip / 1000, ($view_hmac - $view_ip) / ($npeers - 3);

system("kill `cat $dir/backends.pid`");
$t->stop_nginx;
