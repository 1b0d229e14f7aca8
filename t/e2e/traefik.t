#!/usr/bin/perl

# End to end on a real swarm: docker/stack-traefik.yml, Traefik's Swarm
# walkthrough with its app labelled for Traefik v1 as it is and only the
# load balancer swapped for ours (docker/nginx-traefik.conf), deployed
# as its own stack on free ports.  The app is routed by its frontend
# rule, sticky; the stack's Traefik v3 routers send each request where
# Traefik would: a catch-all with priority=1 takes what no other router
# does, a HostRegexp router its hosts, and one host goes to one service
# on the "web" entrypoint and to another on "websecure" (TLS).
# Middlewares defined on the load balancer's own service (an HTTPS
# redirect, a basicauth) guard other services' routers.  A
# service created with Traefik v2 labels while 8 sticky clients load
# the app is routed within a second of running, with no failed request
# on either; removed, its host goes to the catch-all.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;
use SwarmE2E qw(say_diag);

my $top = abs_path('.');
my $stack = 'swarmtk';
my $lb = free_port();
my $status_port = free_port();
my $tls_port = free_port();
my $dir = tempdir('swarm-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $image = $ENV{SWARM_IMAGE} || 'ngx-http-swarm:local';
my $hello = "${stack}_hello";
my $up = 'traefik';
my $ck = "route_${stack}_whoami";

system("$top/docker/demo.sh", 'setup') == 0
    or BAIL_OUT('set-up failed: no Docker engine, swarm or image');

sub down {
    system("docker service rm $hello >/dev/null 2>&1");
    system("docker stack rm $stack >/dev/null 2>&1");
    wait_for(sub { system('docker network inspect traefik-net '
        . '>/dev/null 2>&1') != 0 }, 60);
}

END {
    local $?;
    down();
}

# a stack of its own; a Swarm config cannot change, so its name follows
# the content

down();
my $conf = "$top/docker/nginx-traefik.conf";
my $sum = substr(`sha256sum $conf`, 0, 12);
local $ENV{SWARM_IMAGE} = $image;
local $ENV{LB_PORT} = $lb;
local $ENV{STATUS_PORT} = $status_port;
local $ENV{LB_TLS_PORT} = $tls_port;
local $ENV{LB_CONF} = $conf;
local $ENV{LB_CONF_NAME} = "${stack}_lb_$sum";
is(system("docker stack deploy --resolve-image never "
    . "-c $top/docker/stack-traefik.yml $stack >$dir/deploy.log 2>&1"), 0,
    'docker stack deploy of the walkthrough') or diag `cat $dir/deploy.log`;

sub status {
    my $r = SwarmTest::http_get($status_port, '/swarm');
    return $r->{status} == 200 ? decode_json($r->{body}) : undef;
}

sub route_of {
    my ($service) = @_;
    my $s = status() or return undef;
    my ($r) = grep { $_->{service} eq $service }
        @{ $s->{upstreams}{$up}{routes} || [] };
    return $r;
}

sub get {
    my ($host, @h) = @_;
    return SwarmTest::http_get($lb, '/', "Host: $host", @h);
}

ok(wait_for(sub { my $r = route_of("${stack}_whoami");
        $r && $r->{active} == 3 }, 240),
    'the three whoami tasks, routed by their Traefik v1 labels')
    or diag explain status();

my $r = get('whoami.traefik');
is($r->{status}, 200, 'Host: whoami.traefik answers');
my ($host, $ip) = split ' ', $r->{body};
like($r->{cookies}[0] // '', qr/^$ck=\Q$ip\E; Path=\/; HttpOnly; SameSite=Lax$/,
    'traefik.backend.loadbalancer.sticky: a cookie naming the task');
my $stay = grep { get('whoami.traefik', "Cookie: $ck=$ip")->{body} eq "$host $ip" }
    1 .. 20;
is($stay, 20, '20 requests with the cookie stay on that task');

# the Traefik v3 routers: which service's task answers

ok(wait_for(sub { my $f = route_of("${stack}_fallback");
        my $a = route_of("${stack}_api");
        $f && $a && $f->{active} == 1 && $a->{active} == 1 }, 120),
    'the catch-all, HostRegexp and entrypoint routers, routed')
    or diag explain status();

my %ip = map { my ($k) = SwarmE2E::tasks_running("${stack}_$_");
    ($_ => $k ? SwarmE2E::task_addr($k) : 'none') } qw(fallback api);

sub served_by {
    my ($r) = @_;
    return $r->{status} unless $r->{status} == 200;
    my (undef, $addr) = split ' ', $r->{body};
    my ($who) = grep { $ip{$_} eq ($addr // '') } keys %ip;
    return $who // "unknown $r->{body}";
}

sub get_tls {
    my ($host) = @_;
    my $cmd = "curl -sk --max-time 10 --resolve $host:$tls_port:127.0.0.1 "
        . "https://$host:$tls_port/";
    my $body = `$cmd`;
    return { status => $? == 0 ? 200 : 0, body => $body // '' };
}

is(served_by(get('other.traefik')), 'fallback',
    'a host no other router claims: the catch-all (priority=1)');
my $w = get('whoami.traefik');
ok($w->{status} == 200 && served_by($w) !~ /^(fallback|api)$/,
    'the app\'s host: its own router, not the catch-all');
is(served_by(get('api-eu.traefik')), 'api', 'HostRegexp: its host');
is(served_by(get('api.traefik')), 'fallback',
    'HostRegexp: not a host it does not match');
is(served_by(get('shop.traefik')), 'api', 'entrypoint web: its router');
is(served_by(get_tls('shop.traefik')), 'fallback',
    'entrypoint websecure (TLS): its router, for the same host');
is(served_by(get_tls('api-eu.traefik')), 'api',
    'websecure: a router of no entrypoints is on every one');

# middlewares the load balancer's own service defines, which the other
# services' routers name

$r = get('secure.traefik');
is($r->{status}, 301, 'https-redirect on web: 301');
is($r->{header}{location}, 'https://secure.traefik/', 'to https');
is(served_by(get_tls('secure.traefik')), 'fallback',
    'over TLS: the websecure router');
is(get('admin.traefik')->{status}, 401, 'admin-auth: 401 without a password');
is(served_by(get('admin.traefik', 'Authorization: Basic YWRtaW46c2VjcmV0')),
    'api', 'admin-auth: with it, the router\'s service');

# a service created with labels under load

my @app = SwarmE2E::clients(dir => $dir, n => 8, seconds => 120,
    port => $lb, host => 'whoami.traefik', cookie => qr/^($ck=[^;]+)/);
sleep 1;

my $t0 = time;
is(system("docker service create -d -q --name $hello --network traefik-net "
    . "--stop-signal SIGTERM "
    . "--label 'traefik.http.routers.hello.rule=Host(`hello.traefik`)' "
    . "--label traefik.http.services.hello.loadbalancer.server.port=8080 "
    . "$image echo-backend >$dir/create.log 2>&1"), 0,
    'docker service create') or diag `cat $dir/create.log`;

my ($task, $addr, $served);
my $end = time + 120;
while (time < $end) {
    ($task) = SwarmE2E::tasks_running($hello) unless $task;
    $addr = SwarmE2E::task_addr($task) if $task;
    my $r = get('hello.traefik');
    if ($addr && $r->{status} == 200 && $r->{body} =~ /^\S+ \Q$addr\E$/) {
        $served = time;
        last;
    }
    sleep 0.02;
}
ok($served, 'the new service answers for its host');
my $running = $task ? SwarmE2E::running_at($task) : undef;
my $delay = ($served // 1e9) - ($running // 0);
cmp_ok($delay, '<', 1, 'within a second of its task running');
say_diag sprintf 'new service: running at %s, first answer %.0f ms later '
    . '(%.1f s after docker service create)',
    $task ? $task->{Status}{Timestamp} : '-', $delay * 1000,
    ($served // $t0) - $t0;

mkdir "$dir/new";
my @new = SwarmE2E::clients(dir => "$dir/new", n => 4, seconds => 5,
    port => $lb, host => 'hello.traefik', cookie => qr/^(route_[^=]+=[^;]+)/);
sleep 5;
my ($ok, $bad) = SwarmE2E::collect("$dir/new", @new);
cmp_ok($ok, '>', 20, "the new service under load: $ok requests");
is($bad, 0, 'none failed') or diag `cat $dir/new/errors`;

# removed: its host goes to the catch-all, the app untouched

system("docker service rm $hello >/dev/null 2>&1");
ok(wait_for(sub { served_by(get('hello.traefik')) eq 'fallback' }, 30),
    'removed: its host goes to the catch-all');

my ($aok, $abad, $moved) = SwarmE2E::collect($dir, @app);
cmp_ok($aok, '>', 100, "the app under load meanwhile: $aok requests");
is($abad, 0, 'none failed') or diag `cat $dir/errors`;
is($moved, 0, 'and no client was moved to another task');
say_diag "the app meanwhile: $aok requests, $abad failed, $moved moved";

done_testing;
