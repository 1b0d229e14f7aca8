#!/usr/bin/perl

# make bench (routed run): requests per second through one nginx with
# one worker, three servers, rounds interleaved as in bench.pl:
#
#   many      swarm_routes: 1,000 services routed by their labels
#             (swarm.http.host=svcN.bench.test), each with the same three
#             tasks, sticky; requests go to the 1,000 hosts in turn
#   one       swarm_routes: one service routed by swarm.http.path=/, the
#             same three tasks, sticky
#   static    a static upstream of the three (round robin): the ceiling
#
# for new visitors (no cookie) and returning ones (the cookie of the
# route, naming one of its tasks); all three get the same Host headers,
# so that the client does the same work for each.  Prints the median
# req/s and the ratios many/one (what the number of routes costs),
# many/static and one/static.
#
# Each upstream keeps 128 connections to the servers: new visitors of
# 1,000 routes, each route with its own round robin, spread less evenly
# from one request to the next than those of one route, and 32 would
# leave the spread, not the routing, to be measured.
#
# Environment: BENCH_ROUNDS (5), BENCH_SECONDS (5), BENCH_CONNECTIONS (32),
# BENCH_ROUTES (1000).

use strict;
use warnings;
use lib 't/lib';
use SwarmTest;
use SwarmBench qw(rounds);
use Time::HiRes qw(sleep);

my $rounds = $ENV{BENCH_ROUNDS} || 5;
my $seconds = $ENV{BENCH_SECONDS} || 5;
my $conns = $ENV{BENCH_CONNECTIONS} || 32;
my $nroutes = $ENV{BENCH_ROUTES} || 1000;

my $t = SwarmTest->new;
my $dir = $t->dir;
my $bp = free_port();
my @addrs = map { "127.0.3.$_" } 1 .. 3;

SwarmBench::backends($t, $bp, @addrs);

# the stand-in: the services, each with three tasks at 10.0.3.1-3

my (@services, @tasks);

sub service {
    my ($n, $name, $labels) = @_;
    my $s = fake_service($n, $name, { 'swarm.port' => "$bp",
        'swarm.sticky' => 'true', %$labels });
    push @services, $s;
    for my $i (1 .. 3) {
        my $k = fake_task($s, sprintf 'tsk%019d%03d', $n, $i);
        $k->{Slot} = $i;
        $k->{NetworksAttachments}[0]{Addresses} = ["10.0.3.$i/24"];
        push @tasks, $k;
    }
}

service($_, "svc$_", { 'bench.many' => 'true',
    'swarm.http.host' => "svc$_.bench.test" }) for 1 .. $nroutes;
service(0, 'one', { 'bench.one' => 'true', 'swarm.http.path' => '/' });

$t->start_api(services => \@services, tasks => \@tasks);

my %port = map { $_ => free_port() } qw(many one static);
my $servers = join '', map { "        server $_:$bp;\n" } @addrs;
my $proxy = 'proxy_http_version 1.1; proxy_set_header Connection "";';

$t->conf(<<"EOF", log_level => 'error');
    access_log off;
    swarm_endpoint %%ENDPOINT%%;
    swarm_zone 16m;

    # nothing changes: no refresh of 1,000 services (the stand-in's CPU
    # and worker 0's) in the middle of a round
    swarm_interval 1h;

    upstream many {
        swarm_routes label=bench.many=true;
        keepalive 128;
    }
    upstream one {
        swarm_routes label=bench.one=true;
        keepalive 128;
    }
    upstream static {
$servers        keepalive 128;
    }

    server {
        listen 127.0.0.1:$port{many};
        location / { swarm_route many; proxy_pass http://many; $proxy }
    }
    server {
        listen 127.0.0.1:$port{one};
        location / { swarm_route one; proxy_pass http://one; $proxy }
    }
    server {
        listen 127.0.0.1:$port{static};
        location / { proxy_pass http://static; $proxy }
    }
    server { listen 127.0.0.1:%%PORT%%; location = /swarm { swarm_status; } }
EOF
$t->start_nginx;

sub routed {
    my $s = $t->status('?peers=off') or return 0;
    my ($m, $o) = map { $s->{upstreams}{$_}{routes} || [] } qw(many one);
    return @$m == $nroutes && @$o == 1
        && !grep { $_->{active} != 3 } @$m, @$o;
}

wait_for(\&routed, 60) or die 'the routes were not published';

my @hosts = map { "svc$_.bench.test" } 1 .. $nroutes;
my @cookies = map { "route_svc$_=$addrs[$_ % 3]" } 1 .. $nroutes;

# what each returning-visitor cookie reaches: a check that it is sticky

for my $i (0, 1, $nroutes - 1) {
    my $r = SwarmTest::http_get($port{many}, '/', "Host: $hosts[$i]",
        "Cookie: $cookies[$i]");
    my ($want) = $cookies[$i] =~ /=(.*)/;
    $r->{body} =~ /^\Q$want\E\s*$/
        or die "many: $hosts[$i] with $cookies[$i] reached $r->{body}";
}

my $rps = rounds(dir => $dir, rounds => $rounds, seconds => $seconds,
    connections => $conns, workloads => [qw(new returning)],
    proxies => [
        many => [$port{many}, \@cookies, '/', \@hosts],
        one => [$port{one}, [map { "route_one=$addrs[$_ % 3]" } 1 .. $nroutes],
                '/', \@hosts],
        static => [$port{static}, [], '/', \@hosts],
    ]);
SwarmBench::report($rps, workloads => [qw(new returning)],
    proxies => [qw(many one static)],
    ratios => [[qw(many one)], [qw(many static)], [qw(one static)]],
    title => "$rounds rounds of ${seconds}s, $conns connections, "
        . "one worker, $nroutes routes in \"many\"");

SwarmBench::stop_backends($t);
$t->cleanup;
