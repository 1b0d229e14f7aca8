#!/usr/bin/perl

# make bench: requests per second through three proxies in one run, on
# loopback, each with one worker and keepalive to the same three
# backends, rounds interleaved (A B C A B C ...) so that the machine's
# drift hits all alike:
#
#   swarm     nginx + this module, tasks from the Docker API stand-in,
#             swarm_sticky on
#   static    the same nginx, a static upstream of the same three servers
#             (round robin): the ceiling
#   haproxy   Debian's HAProxy, "cookie route insert indirect nocache"
#   metrics   swarm again, in an nginx of its own with swarm_metrics: every
#             request counted
#
# and two workloads: new visitors (no cookie: every response assigns a
# task) and returning visitors (each request carries a valid cookie,
# spread over the tasks).  Prints the median req/s of each proxy and
# workload and the ratios swarm/static, swarm/haproxy and metrics/swarm.
#
# Environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32).

use strict;
use warnings;
use lib 't/lib';
use SwarmTest;
use SwarmBench qw(rounds);
use JSON::PP;
use Time::HiRes qw(sleep);

my $rounds = $ENV{BENCH_ROUNDS} || 5;
my $seconds = $ENV{BENCH_SECONDS} || 5;
my $conns = $ENV{BENCH_CONNECTIONS} || 32;

my $t = SwarmTest->new;
my $dir = $t->dir;
my $bp = free_port();
my @tasks = map { "127.0.3.$_" } 1 .. 3;

SwarmBench::backends($t, $bp, @tasks);

# the stand-in: three tasks of mystack_app at 10.0.3.x (served as 127.0.3.x)

open my $in, '<', 't/fixtures/docker-20.10/tasks-all.json' or die $!;
my $all = decode_json(do { local $/; <$in> });
my ($template) = grep { $_->{ServiceID} =~ /^y25ovm7r32/ } @$all;
my @list;
for my $i (1 .. 3) {
    my $task = decode_json(encode_json($template));
    $task->{ID} = "benchtask$i";
    $task->{Slot} = $i;
    $task->{NetworksAttachments}[0]{Addresses} = ["10.0.3.$i/24"];
    push @list, $task;
}
$t->start_api(tasks => \@list);

my $swarm = free_port();
my $static = free_port();
my $haproxy = free_port();

my $servers = join '', map { "        server $_:$bp;\n" } @tasks;

# the module's upstream, the same in both nginx
my $upstream = <<"EOF";
    access_log off;
    swarm_endpoint %%ENDPOINT%%;

    upstream swarm {
        swarm_service label=swarm.upstream=app port=$bp;
        swarm_sticky;
        keepalive 32;
    }
EOF

$t->conf(<<"EOF", log_level => 'error');
$upstream    upstream static {
$servers        keepalive 32;
    }

    server {
        listen 127.0.0.1:$swarm;
        location / {
            proxy_pass http://swarm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location = /swarm { swarm_status; }
    }
    server {
        listen 127.0.0.1:$static;
        location / {
            proxy_pass http://static;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server { listen 127.0.0.1:%%PORT%%; location = /swarm { swarm_status; } }
EOF
$t->start_nginx;
wait_for(sub { $t->peers('swarm') == 3 }, 10) or die 'no tasks discovered';

# the same upstream in an nginx of its own with swarm_metrics: every
# request counted

my $m = SwarmTest->new;
my $metered = free_port();
$m->start_api(tasks => \@list);
$m->conf(<<"EOF", log_level => 'error');
$upstream
    server {
        listen 127.0.0.1:$metered;
        location / {
            proxy_pass http://swarm;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
        location = /metrics { swarm_metrics; }
    }
EOF
$m->start_nginx;
wait_for(sub { $m->peers('swarm') == 3 }, 10) or die 'no tasks discovered';

open my $fh, '>', "$dir/haproxy.cfg" or die $!;
print $fh <<"EOF";
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    http-reuse always
frontend fe
    bind 127.0.0.1:$haproxy
    default_backend be
backend be
    balance roundrobin
    cookie route insert indirect nocache
EOF
print $fh "    server s$_ $tasks[$_ - 1]:$bp cookie s$_\n" for 1 .. 3;
close $fh;
system("haproxy -D -f $dir/haproxy.cfg -p $dir/haproxy.pid") == 0
    or die 'haproxy did not start';

my %proxies = (
    swarm => [$swarm, [map { "route=$_" } @tasks]],
    metrics => [$metered, [map { "route=$_" } @tasks]],
    static => [$static, []],
    haproxy => [$haproxy, [map { "route=s$_" } 1 .. 3]],
);

# what each returning-visitor cookie reaches: a check that it is sticky

for my $p (qw(swarm metrics haproxy)) {
    my ($port, $cookies) = @{ $proxies{$p} };
    for my $i (0 .. 2) {
        my $r = SwarmTest::http_get($port, '/', "Cookie: $cookies->[$i]");
        $r->{body} eq $tasks[$i]
            or die "$p: cookie $cookies->[$i] reached $r->{body}";
    }
}

my $rps = rounds(dir => $dir, rounds => $rounds, seconds => $seconds,
    connections => $conns, workloads => [qw(new returning)],
    proxies => [map { $_ => $proxies{$_} } qw(swarm metrics static haproxy)]);
SwarmBench::report($rps, workloads => [qw(new returning)],
    proxies => [qw(swarm metrics static haproxy)],
    ratios => [[qw(swarm static)], [qw(swarm haproxy)],
               [qw(metrics swarm)]],
    title => "$rounds rounds of ${seconds}s, $conns connections, "
        . "one worker each");

system("kill \$(cat $dir/haproxy.pid) 2>/dev/null");
# what the metered nginx counted: every request of the rounds

my $counted = 0;
$counted += $_ for $m->get('/metrics')->{body}
    =~ /^nginx_swarm_task_requests_total\{[^}]*\} (\d+)$/mg;
print "metrics: $counted requests counted by the metered nginx\n";

SwarmBench::stop_backends($t);
$m->cleanup;
$t->cleanup;
