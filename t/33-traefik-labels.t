#!/usr/bin/perl

# Traefik labels taken at their word: a router's service= reference is
# never approximated (a service no swarm service's labels define, or one
# of another provider such as api@internal, is not routed; name@docker
# and name@swarm are the labels' own), a sticky cookie's maxage means what it
# means in Traefik (0 a session cookie, below 0 "Max-Age=0"), and a
# request a client can send at will (no route, reached without
# swarm_route) writes no error line, and never a line of its own making.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $p2 = free_port();

my (@services, @tasks, %by);
my $n = 0;

sub service {
    my ($name, $labels, $ip) = @_;
    $n++;
    my $s = fake_service($n, $name, $labels);
    push @services, $s;
    my $k = fake_task($s, sprintf 'tsk%022d', $n);
    $k->{NetworksAttachments}[0]{Addresses} = [ "$ip/24" ];
    push @tasks, $k;
    (my $local = $ip) =~ s/^10\./127./;
    $by{"$local:$p"} = $name;
}

my %on = ('traefik.enable' => 'true');

service('adm', { %on,
    'traefik.http.routers.adm.rule' => 'Host(`admin.test`)',
    'traefik.http.routers.adm.service' => 'admin@docker',
    'traefik.http.routers.ui.rule' => 'Host(`ui.test`)',
    'traefik.http.routers.ui.service' => 'ui@swarm',
    'traefik.http.services.ui.loadbalancer.server.port' => "$p",
    'traefik.port' => "$p",
}, '10.0.33.1');
service('dash', { %on,
    'traefik.http.routers.dash.rule' => 'Host(`dash.test`)',
    'traefik.http.routers.dash.service' => 'api@internal',
    'traefik.http.routers.noop.rule' => 'Host(`noop.test`)',
    'traefik.http.routers.noop.service' => 'noop@internal',
    'traefik.http.services.dash.loadbalancer.server.port' => "$p",
}, '10.0.33.2');
service('sess', { %on,
    'traefik.http.routers.sess.rule' => 'Host(`sess.test`)',
    'traefik.http.services.sess.loadbalancer.server.port' => "$p",
    'traefik.http.services.sess.loadbalancer.sticky.cookie.name' => 'sess',
    'traefik.http.services.sess.loadbalancer.sticky.cookie.maxage' => '0',
}, '10.0.33.3');
service('gone', { %on,
    'traefik.http.routers.gone.rule' => 'Host(`gone.test`)',
    'traefik.http.services.gone.loadbalancer.server.port' => "$p",
    'traefik.http.services.gone.loadbalancer.sticky.cookie.name' => 'gone',
    'traefik.http.services.gone.loadbalancer.sticky.cookie.maxage' => '-1',
}, '10.0.33.4');
service('aged', { %on,
    'traefik.http.routers.aged.rule' => 'Host(`aged.test`)',
    'traefik.http.services.aged.loadbalancer.server.port' => "$p",
    'traefik.http.services.aged.loadbalancer.sticky.cookie.name' => 'aged',
    'traefik.http.services.aged.loadbalancer.sticky.cookie.maxage' => '60',
}, '10.0.33.5');

$t->start_backends(map { "127.0.33.$_:$p" } 1 .. 5);
$t->start_api(services => \@services, tasks => \@tasks);

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream tk {
        swarm_routes traefik;
        swarm_sticky max_age=1h;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            swarm_route tk;
            proxy_pass http://tk;
        }
        location = /swarm { swarm_status; }
    }

    # the balancer routes alone: no swarm_route
    server {
        listen 127.0.0.1:$p2;
        location / { proxy_pass http://tk; }
    }
EOC
$t->start_nginx;

sub routes {
    my $s = $t->status('?peers=off') or return [];
    return $s->{upstreams}{tk}{routes} || [];
}

ok(wait_for(sub { @{ routes() } == 4 }, 10), 'four routes')
    or diag explain routes();

sub get {
    my ($host, $port) = @_;
    return http_get($port // $t->port, '/', "Host: $host");
}

sub who {
    my $r = get(@_);
    return $r->{status} unless $r->{status} == 200;
    (my $b = $r->{body}) =~ s/\s+$//;
    return $by{$b} // "unknown $b";
}

# service= references

is(who('admin.test'), 404,
    'a router naming a service its labels do not define is not routed');
is(who('ui.test'), 'adm', 'name@swarm is the labels\' own service');
is(who('dash.test'), 404, 'api@internal is not routed');
is(who('noop.test'), 404, 'nor noop@internal');

my @errors = map { "$_->{service}: $_->{error}" }
    @{ $t->status('?peers=off')->{upstreams}{tk}{route_errors} };
ok((grep { $_ eq 'adm: router "adm" not routed: service "admin" '
    . 'is defined by no service\'s labels' } @errors),
    'status: the router and the service it names') or diag explain \@errors;
ok((grep { $_ eq 'dash: router "dash" not routed: service "api@internal" '
    . 'is not one of the swarm\'s labels' } @errors),
    'status: another provider\'s service');

# maxage: 0 a session cookie, below 0 Max-Age=0, else as given

my ($ck) = grep { /^sess=/ } @{ get('sess.test')->{cookies} };
like($ck // '', qr/^sess=127\.0\.33\.3; /, 'maxage=0: a cookie');
unlike($ck // '', qr/Max-Age/i, 'a session cookie: no Max-Age')
    or diag $ck;
($ck) = grep { /^gone=/ } @{ get('gone.test')->{cookies} };
like($ck // '', qr/; Max-Age=0(;|$)/, 'maxage below 0: Max-Age=0, as Traefik')
    or diag $ck;
($ck) = grep { /^aged=/ } @{ get('aged.test')->{cookies} };
like($ck // '', qr/; Max-Age=60(;|$)/, 'maxage=60: Max-Age=60') or diag $ck;

my $route = { map { ($_->{service} => $_) } @{ routes() } };
is($route->{sess}{sticky}{max_age}, 'session', 'status: a session cookie');
is($route->{gone}{sticky}{max_age}, 0, 'status: Max-Age=0');

# no route, reached without swarm_route: a path that would forge a line

my $r = http_get($p2, '/x%0a2030/01/01%2000:00:00%20[emerg]%201#1:%20forged',
    'Host: nothing.test');
is($r->{status}, 500, 'no route without swarm_route: 500');
$r = http_get($p2, '/x', 'Host: nothing.test') for 1 .. 3;

my $log = $t->error_log;
unlike($log, qr/^2030\/01\/01/m, 'the path makes no log line of its own');
like($log, qr/\[info\] .*no route for host "nothing\.test" and path "\/x\\x0a2030\/01\/01 00:00:00 \[emerg\]/,
    'it is logged escaped, at info');
unlike($log, qr/\[error\] .*no route for host/,
    'what a client can repeat at will is no error line');

$t->done_testing;
