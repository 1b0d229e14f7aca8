#!/usr/bin/perl

# Entrypoints, as Traefik's static configuration and its aggregator
# (pkg/server/aggregator.go, pkg/server/router/router.go) have them: a
# server with swarm_entrypoint tries the routers of that entrypoint only
# (those naming it; those naming none where it is a default one, or all
# where none is marked default); an entrypoint with "tls" makes every
# router on it a TLS router; a router with a tls section answers only
# requests that came over TLS, one without only plain ones.  A server
# without swarm_entrypoint tries every router, as before entrypoints.  A
# router naming an entrypoint no server is loses it, with a note, and
# one left with none is not routed, as Traefik drops it.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which openssl` && `which curl`
    or BAIL_OUT('openssl and curl are needed (make test installs them)');

my $t = SwarmTest->new;
my $p = free_port();
my ($web, $secure, $admin, $all, $plain443, $two) = map { free_port() } 1 .. 6;
my $dir = $t->dir;

system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
    . "-days 1 -keyout $dir/key.pem -out $dir/cert.pem >/dev/null 2>&1") == 0
    or BAIL_OUT('openssl could not make a certificate');

my (@services, @tasks);

sub service {
    my ($name, %labels) = @_;
    my $n = @services + 1;
    return traefik_service(\@services, \@tasks, $name, $p,
        [ "10.0.38.$n" ], %labels);
}

# the usual pair: a router on web, one on websecure (with tls by its
# entrypoint, or by its own label)
service('plain', 'traefik.http.routers.plain.rule' => 'Host(`a.test`)',
    'traefik.http.routers.plain.entrypoints' => 'web');
service('secure', 'traefik.http.routers.secure.rule' => 'Host(`a.test`)',
    'traefik.http.routers.secure.entrypoints' => 'websecure');
service('both', 'traefik.http.routers.both.rule' => 'Host(`both.test`)',
    'traefik.http.routers.both.entrypoints' => 'web, websecure');
service('dflt', 'traefik.http.routers.dflt.rule' => 'Host(`b.test`)');
service('tlsonly', 'traefik.http.routers.tlsonly.rule' => 'Host(`c.test`)',
    'traefik.http.routers.tlsonly.tls' => 'true');
service('adm', 'traefik.http.routers.adm.rule' => 'Host(`adm.test`)',
    'traefik.http.routers.adm.entrypoints' => 'admin');
service('nope', 'traefik.http.routers.nope.rule' => 'Host(`nope.test`)',
    'traefik.http.routers.nope.entrypoints' => 'nope');
service('half', 'traefik.http.routers.half.rule' => 'Host(`half.test`)',
    'traefik.http.routers.half.entrypoints' => 'nowhere,web');
service('tlsweb', 'traefik.http.routers.tlsweb.rule' => 'Host(`d.test`)',
    'traefik.http.routers.tlsweb.entrypoints' => 'web',
    'traefik.http.routers.tlsweb.tls.certresolver' => 'le');

$t->start_backends(map { "127.0.38.$_:$p" } 1 .. @services);
$t->start_api(services => \@services, tasks => \@tasks);

my $loc = <<'EOL';
        location / {
            swarm_route tk;
            proxy_pass http://tk;
            add_header X-Route $swarm_route always;
        }
EOL

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }

    server {
        listen 127.0.0.1:$web;
        swarm_entrypoint web default;
$loc
    }

    # one entrypoint, two servers: the same parameters
    server {
        listen 127.0.0.1:$two;
        swarm_entrypoint web default;
$loc
    }

    server {
        listen 127.0.0.1:$secure ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        swarm_entrypoint websecure tls;
$loc
    }

    # an entrypoint without tls, on a TLS listener: TLS routers only
    server {
        listen 127.0.0.1:$plain443 ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
        swarm_entrypoint admin;
$loc
    }

    server {
        listen 127.0.0.1:$admin;
        swarm_entrypoint admin;
$loc
    }

    server {
        listen 127.0.0.1:$all;
$loc
    }
EOC
$t->start_nginx;

ok(wait_for(sub {
    my $s = $t->status('?peers=off') or return;
    @{ $s->{upstreams}{tk}{routes} || [] } == 8 }, 10),
    'eight routes: the router of no server\'s entrypoint is not');

sub route {
    my ($port, $host, $tls) = @_;
    if ($tls) {
        my $out = `curl -sk -o /dev/null -D - -H 'Host: $host' https://127.0.0.1:$port/`;
        my ($status) = $out =~ m{^HTTP/\S+ (\d+)};
        my ($route) = $out =~ /^X-Route: (\S*)/mi;
        return ($status // 0) == 200 ? $route =~ s{/.*}{}r : $status // 0;
    }
    my $r = http_get($port, '/', "Host: $host");
    return $r->{status} unless $r->{status} == 200;
    return ($r->{header}{'x-route'} // '') =~ s{/.*}{}r;
}

is(route($web, 'a.test'), 'plain', 'web: the web router');
is(route($two, 'a.test'), 'plain', 'web, another server: the same');
is(route($secure, 'a.test', 1), 'secure',
    'websecure: the websecure router, TLS by its entrypoint');
is(route($web, 'both.test'), 'both', 'a router on two entrypoints: web');
is(route($secure, 'both.test', 1), 'both', 'and websecure');
is(route($web, 'b.test'), 'dflt', 'no entrypoints: the default one');
is(route($secure, 'b.test', 1), 404, 'not the others');
is(route($admin, 'b.test'), 404, 'nor admin');
is(route($web, 'c.test'), 404, 'a tls router: not for plain requests');
is(route($plain443, 'c.test', 1), 404,
    'on an entrypoint it is not on: not over TLS either');
is(route($admin, 'adm.test'), 'adm', 'admin: its router');
is(route($plain443, 'adm.test', 1), 404,
    'a router with no tls: not over TLS');
is(route($web, 'adm.test'), 404, 'not on web');
is(route($web, 'nope.test'), 404, 'an entrypoint no server is: nowhere');
is(route($web, 'half.test'), 'half',
    'of two entrypoints, the one a server is');
is(route($web, 'd.test'), 404,
    'a tls router on web: not for plain requests');

# a server without swarm_entrypoint tries every router

is(route($all, 'adm.test'), 'adm', 'no entrypoint: every router');
is(route($all, 'c.test'), 'tlsonly', 'TLS routers too');
is(route($all, 'nope.test'), 404,
    'but one whose entrypoints no server is (Traefik drops it)');

my @errors = map { "$_->{service}: $_->{error}" }
    @{ $t->status('?peers=off')->{upstreams}{tk}{route_errors} };
ok((grep { $_ eq 'nope: router "nope" not routed: none of its entrypoints '
    . '"nope" is a server\'s swarm_entrypoint' } @errors),
    'status: the router of no server\'s entrypoint') or diag explain \@errors;
ok((grep { $_ eq 'half: router "half": entrypoint "nowhere" is no server\'s '
    . 'swarm_entrypoint' } @errors), 'status: an entrypoint no server is');
ok(!(grep { /which comes first/ } @errors),
    'routers of one host and path on other entrypoints are no tie');

# the status says each router's entrypoints and tls

my %r = map { ($_->{service} => $_) }
    @{ $t->status('?peers=off')->{upstreams}{tk}{routes} };
is_deeply($r{both}{entrypoints}, [ 'web', 'websecure' ],
    'status: the entrypoints');
ok(!exists $r{dflt}{entrypoints}, 'status: none given');
ok($r{tlsonly}{tls}, 'status: tls');
ok(!$r{plain}{tls}, 'status: no tls');

$t->done_testing;
