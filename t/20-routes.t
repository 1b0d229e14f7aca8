#!/usr/bin/perl

# swarm_routes and swarm_route: services routed by their own labels,
# native or Traefik's, in one upstream: which route wins (exact host,
# wildcard, host-less, longest path, exact path, priority, the service
# name on a tie), 404 where none matches, Host in any case and with a
# port, cookies per route (another route's cookie is no cookie), what
# swarm_status and the log say of routes and of what is not routed, and
# services added, relabelled and removed at run time with no reload.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);

my $t = SwarmTest->new;
my $p = free_port();

my (@services, @tasks, %addr, %by);
my $n = 0;

# a service named $name with the labels given and a running task at
# each address given (10.0.20.x, served as 127.0.20.x)

sub service {
    my ($name, $labels, @ips) = @_;
    $n++;
    my $s = fake_service($n, $name, $labels);
    push @services, $s;
    my $k = 0;
    for my $ip (@ips) {
        my $tk = fake_task($s, sprintf 'tsk%019d%03d', $n, ++$k);
        $tk->{Slot} = $k;
        $tk->{NetworksAttachments}[0]{Addresses} = [ "$ip/24" ];
        push @tasks, $tk;
        (my $local = $ip) =~ s/^10\./127./;
        push @{ $addr{$name} }, "$local:$p";
        $by{"$local:$p"} = $name;
    }
}

my %native = ('swarm.enable' => 'true', 'swarm.port' => "$p");

service('web', { %native, 'swarm.http.path' => '/', 'swarm.sticky' => 'true' },
    '10.0.20.1', '10.0.20.2');
service('api', { %native, 'swarm.http.path' => '/api',
    'swarm.sticky' => 'true' }, '10.0.20.3');
service('apiexact', { %native, 'swarm.http.path' => '/api/v1',
    'swarm.http.host' => 'shop.example.com' }, '10.0.20.4');
service('blog', { %native, 'swarm.http.host' => 'blog.example.com' },
    '10.0.20.5');
service('wild', { %native, 'swarm.http.host' => '*.example.com' },
    '10.0.20.6');
service('deepwild', { %native, 'swarm.http.host' => '*.eu.example.com' },
    '10.0.20.7');
service('shop', { %native, 'swarm.http.host' => 'shop.example.com',
    'swarm.http.path' => '/api' }, '10.0.20.8');
service('low', { %native, 'swarm.http.host' => 'prio.example.com',
    'swarm.http.path' => '/long/path' }, '10.0.20.9');
service('high', { %native, 'swarm.http.host' => 'prio.example.com',
    'swarm.http.path' => '/', 'swarm.http.priority' => '10' }, '10.0.20.10');
service('tie-b', { %native, 'swarm.http.host' => 'tie.example.com' },
    '10.0.20.11');
service('tie-a', { %native, 'swarm.http.host' => 'tie.example.com' },
    '10.0.20.12');
service('multi', { %native,
    'swarm.http.host' => 'one.example.org, two.example.org' },
    '10.0.20.13');
service('norule', { %native }, '10.0.20.14');
service('badhost', { %native, 'swarm.http.host' => 'bad_host!' },
    '10.0.20.15');
service('named', { %native, 'swarm.http.host' => 'named.example.org',
    'swarm.sticky' => 'true', 'swarm.sticky.cookie' => 'mine' },
    '10.0.20.16');

# Traefik's labels, served by the second upstream

service('tv2', { 'traefik.enable' => 'true',
    'traefik.http.routers.tv2.rule' =>
        'Host(`v2.traefik.test`) && PathPrefix(`/x`) || Path(`/exact`)',
    'traefik.http.routers.tv2.entrypoints' => 'websecure',
    'traefik.http.services.tv2.loadbalancer.passhostheader' => 'true',
    'traefik.http.services.tv2.loadbalancer.server.port' => "$p",
    'traefik.http.services.tv2.loadbalancer.sticky.cookie' => 'true',
    'traefik.http.services.tv2.loadbalancer.sticky.cookie.name' => 'tk',
    'traefik.http.services.tv2.loadbalancer.sticky.cookie.secure' => 'true',
}, '10.0.20.21', '10.0.20.22');
service('tv1', { 'traefik.enable' => 'true',
    'traefik.frontend.rule' => 'Host:v1.traefik.test,old.traefik.test;PathPrefix:/app',
    'traefik.port' => "$p",
    'traefik.docker.network' => 'mystack_net',
    'traefik.backend.loadbalancer.stickiness' => 'true',
    'traefik.backend.loadbalancer.stickiness.cookieName' => 'v1cookie',
}, '10.0.20.23');
service('tmw', { 'traefik.enable' => 'true',
    'traefik.http.routers.tmw.rule' => 'Host(`mw.traefik.test`)',
    'traefik.http.routers.tmw.middlewares' => 'admin-auth',
    'traefik.http.routers.tmwfree.rule' => 'Host(`mwfree.traefik.test`)',
    'traefik.http.middlewares.admin-auth.basicauth.users' =>
        'admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/',
    'traefik.http.services.tmw.loadbalancer.server.port' => "$p",
}, '10.0.20.31');
service('tv1auth', { 'traefik.enable' => 'true',
    'traefik.frontend.rule' => 'Host:auth1.traefik.test',
    'traefik.frontend.auth.basic.users' =>
        'admin:$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/',
    'traefik.port' => "$p",
}, '10.0.20.32');
service('tv1wl', { 'traefik.enable' => 'true',
    'traefik.frontend.rule' => 'Host:wl1.traefik.test',
    'traefik.frontend.whiteList.sourceRange' => '192.0.2.0/24',
    'traefik.port' => "$p",
}, '10.0.20.33');
service('tcase', { 'traefik.enable' => 'true',
    'Traefik.HTTP.Routers.Web.Rule' => 'HOST(`case.traefik.test`)',
    'TRAEFIK.http.services.web.LoadBalancer.Server.Port' => "$p",
}, '10.0.20.24');
service('tregexp', { 'traefik.enable' => 'true',
    'traefik.http.routers.re.rule' => 'HostRegexp(`^re\.traefik\.test$(?=x)`)',
    'traefik.http.routers.ok.rule' => 'Host(`ok.traefik.test`)',
    'traefik.http.services.re.loadbalancer.server.port' => "$p",
}, '10.0.20.25');
service('tprefix', { 'traefik.enable' => 'true',
    'traefik.http.routers.p.rule' => 'PathPrefix(`/exact`)',
    'traefik.http.services.p.loadbalancer.server.port' => "$p",
}, '10.0.20.27');
service('tnoenable', {
    'traefik.http.routers.n.rule' => 'Host(`noenable.traefik.test`)',
    'traefik.http.services.n.loadbalancer.server.port' => "$p",
}, '10.0.20.28');
service('toff', { 'traefik.enable' => 'false',
    'traefik.http.routers.off.rule' => 'Host(`off.traefik.test`)',
    'traefik.http.services.off.loadbalancer.server.port' => "$p",
}, '10.0.20.26');

$t->start_backends(@{ $addr{$_} }) for sort keys %addr;
$t->start_api(services => \@services, tasks => \@tasks);

# "traefik exposed_by_default", as Traefik's exposedByDefault: every
# service with Traefik's labels but traefik.enable=false, on a port of
# its own
my $p2 = free_port();

# and keyed cookies
my $key = 'a key of the routes test, 32 b.';
open my $kf, '>', $t->dir . '/route.key' or die $!;
print $kf $key;
close $kf;

$t->conf(<<"EOC", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream swarm {
        swarm_routes label=swarm.enable=true;
        swarm_sticky httponly samesite=lax;
    }

    upstream tk {
        swarm_routes traefik;
    }

    upstream tkall {
        swarm_routes traefik exposed_by_default;
        swarm_sticky value=hmac key_file=%%DIR%%/route.key;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            swarm_route swarm;
            proxy_pass http://swarm;
        }
        location = /swarm { swarm_status; }
        location = /metrics { swarm_metrics; }
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        server_name *.traefik.test;
        location / {
            swarm_route tk;
            proxy_pass http://tk;
        }
    }

    server {
        listen 127.0.0.1:$p2;
        location / {
            swarm_route tkall;
            proxy_pass http://tkall;
        }
    }
EOC
$t->start_nginx;

sub routes {
    my ($u) = @_;
    my $s = $t->status('?peers=off') or return [];
    return $s->{upstreams}{$u}{routes} || [];
}

ok(wait_for(sub { @{ routes('swarm') } >= 13 && @{ routes('tk') } >= 4 }, 10),
    'routes published') or diag explain $t->status;

# which service answers a request: by the task's address

sub who_at {
    my ($port, $host, $path, @h) = @_;
    my $r = SwarmTest::http_get($port, $path, "Host: $host", @h);
    return $r->{status} unless $r->{status} == 200;
    (my $b = $r->{body}) =~ s/\s+$//;
    return $by{$b} // "unknown $b";
}

sub who { who_at($t->port, @_) }
sub who_all { who_at($p2, @_) }

is(who('localhost', '/'), 'web', 'host-less "/" for any host');
is(who('localhost', '/api/x'), 'api', 'the longest prefix, host-less');
is(who('localhost', '/apix'), 'api', 'a prefix is a string prefix');
is(who('blog.example.com', '/'), 'blog', 'an exact host');
is(who('blog.example.com', '/api/x'), 'blog',
    'a host\'s route wins over a longer host-less path');
is(who('BLOG.Example.COM', '/'), 'blog', 'Host in any case');
is(who('blog.example.com:8080', '/'), 'blog', 'Host with a port');
is(who('blog.example.com.', '/'), 'blog', 'Host with a trailing dot');
is(who('news.example.com', '/'), 'wild', 'a wildcard');
is(who('a.b.example.com', '/'), 'wild', 'a wildcard, deeper');
is(who('example.com', '/'), 'web',
    'a wildcard is not its own suffix: host-less then');
is(who('x.eu.example.com', '/'), 'deepwild', 'the longer wildcard first');
is(who('shop.example.com', '/api/v1/x'), 'apiexact',
    'the longest prefix among a host\'s routes');
is(who('shop.example.com', '/api/x'), 'shop', 'and the next longest');
is(who('shop.example.com', '/other'), 'wild',
    'a host whose routes miss the path falls through to wildcards');
is(who('prio.example.com', '/long/path/x'), 'high',
    'priority decides before the path');
is(who('tie.example.com', '/'), 'tie-a', 'a tie goes to the service name');
is(who('one.example.org', '/'), 'multi', 'a route of two hosts: one');
is(who('two.example.org', '/'), 'multi', 'a route of two hosts: the other');

is(who('v2.traefik.test', '/x/y'), 'tv2', 'Traefik v2: Host && PathPrefix');
is(who('v2.traefik.test', '/y'), 404, 'Traefik v2: the path not matched');
is(who('any.traefik.test', '/exact'), 'tv2', 'Traefik v2: || Path');
is(who('any.traefik.test', '/exact/x'), 'tprefix',
    'Traefik v2: Path is exact');
is(who('any.traefik.test', '/exact'), 'tv2',
    'an exact path before a prefix of the same length');
is(who('v1.traefik.test', '/app/1'), 'tv1', 'Traefik v1: Host and PathPrefix');
is(who('old.traefik.test', '/app'), 'tv1', 'Traefik v1: the second host');
is(who('v1.traefik.test', '/'), 404, 'Traefik v1: the path not matched');
is(who('case.traefik.test', '/'), 'tcase', 'Traefik keys in any case');
is(who('ok.traefik.test', '/'), 'tregexp',
    'a router beside one not routed');
is(who('re.traefik.test', '/'), 404, 'HostRegexp is not approximated');
is(who('mw.traefik.test', '/'), 401,
    'a router with middlewares is served behind them: its basicauth');
is(who('mwfree.traefik.test', '/'), 'tmw', 'its service\'s other router is');
is(who('auth1.traefik.test', '/'), 401,
    'a v1 frontend with auth: behind it');
is(who('wl1.traefik.test', '/'), 403,
    'a v1 frontend with a whitelist: behind it');
is(who('off.traefik.test', '/'), 404, 'traefik.enable=false is not routed');
is(who('nothing.traefik.test', '/'), 404, 'no route: 404');
is(who('noenable.traefik.test', '/'), 404,
    'no traefik.enable=true: not routed by "traefik"');
is(who_all('noenable.traefik.test', '/'), 'tnoenable',
    'but by "traefik exposed_by_default"');
is(who_all('off.traefik.test', '/'), 404,
    'which leaves traefik.enable=false out');
is(who_all('v2.traefik.test', '/x'), 'tv2',
    'and routes traefik.enable=true too');

# swarm_status: routes, what is not routed and why, labels ignored

my %route = map { ($_->{service} . ($_->{router} ? "/$_->{router}" : '')
    => $_) } (@{ routes('swarm') }, @{ routes('tk') });

is_deeply($route{blog}{rule},
    [ { hosts => ['blog.example.com'], path => '/', exact => JSON::PP::false } ],
    'status: a route\'s host and path');
is($route{high}{priority}, 10, 'status: a priority');
is($route{web}{active}, 2, 'status: a route\'s active tasks');
is($route{web}{cookie}, 'route_web', 'status: a route\'s cookie');
is($route{named}{cookie}, 'mine', 'status: a cookie named by a label');
is($route{'tv2/tv2'}{cookie}, 'tk', 'status: a Traefik cookie');
is($route{'tv1'}{cookie}, 'v1cookie', 'status: a Traefik v1 cookie');
ok(!exists $route{norule} && !exists $route{badhost},
    'status: services not routed have no route');
ok(!exists $route{'tregexp/re'}, 'status: nor has a router not routed');

my $s = $t->status('?peers=off');
my @errors = map { "$_->{service}: $_->{error}" }
    (@{ $s->{upstreams}{swarm}{route_errors} },
     @{ $s->{upstreams}{tk}{route_errors} });
ok((grep { /^norule: not routed: no swarm\.http\.host or swarm\.http\.path/ }
    @errors), 'status: no host and no path, said')
    or diag explain \@errors;
ok((grep { /^badhost: not routed: invalid host name "bad_host!"/ } @errors),
    'status: an invalid host, said');
ok((grep { /^tregexp: router "re" not routed: .*HostRegexp/ } @errors),
    'status: the service, the router and the matcher not supported');
ok(!(grep { /^tmw: / } @errors),
    'status: nothing of a router whose middlewares run')
    or diag explain \@errors;
ok(!(grep { /^tv1(auth|wl): / } @errors),
    'status: nothing of v1 frontends whose auth and whitelist run');
ok((grep { /^tie-b: .*tie\.example\.com.*"tie-a"/ } @errors),
    'status: the loser of a tie');
is_deeply([ map { "$_->{service}: $_->{error}" }
        @{ $s->{upstreams}{tkall}{route_errors} } ],
    [ grep { /^(tregexp|tmw|tv1auth|tv1wl):/ } @errors ],
    'exposed_by_default: services with no Traefik label are none of its');
my ($ign) = grep { $_->{service} eq 'tv2' }
    @{ $s->{upstreams}{tk}{ignored_labels} };
like($ign->{labels} // '', qr/passhostheader/,
    'status: labels ignored, listed')
    or diag explain $s->{upstreams}{tk};

my $log = $t->error_log;
like($log, qr/\[error\].*upstream "tk": service "tregexp": router "re" not routed: .*HostRegexp/,
    'the log names the service, the router and the matcher');
sleep 1;
is(scalar(() = $t->error_log =~ /upstream "tk": service "tregexp": router "re"/g),
    1, 'logged once while it lasts');

# cookies: per route, with the upstream's attributes; another route's
# cookie counts as none

my $r = $t->get('/', 'Host: localhost');
my ($ck) = grep { /^route_web=/ } @{ $r->{cookies} };
like($ck // '', qr/^route_web=127\.0\.20\.[12]; Path=\/; HttpOnly; SameSite=Lax$/,
    'a sticky route sets its cookie') or diag explain $r->{cookies};
my ($ip) = ($ck // '') =~ /=([\d.]+)/;
my %seen;
for (1 .. 10) {
    my $r = $t->get('/', 'Host: localhost', "Cookie: route_web=$ip");
    $seen{$r->{body} =~ s/:\d+\s*$//r}++;
}
is_deeply(\%seen, { $ip => 10 }, 'a returning visitor stays on its task');

$r = $t->get('/', 'Host: localhost', 'Cookie: route_web=127.0.20.3');
like($r->{body}, qr/^127\.0\.20\.[12]:/,
    'a cookie naming a task of another route is not followed');
ok((grep { /^route_web=127\.0\.20\.[12];/ } @{ $r->{cookies} }),
    'and the visitor gets a cookie of this route');

$r = $t->get('/api', 'Host: localhost', 'Cookie: route_web=127.0.20.1');
ok((grep { /^route_api=127\.0\.20\.3;/ } @{ $r->{cookies} }),
    'routes on one host keep their cookies apart');

$r = $t->get('/', 'Host: blog.example.com');
is_deeply($r->{cookies}, [], 'a route not sticky sets no cookie');

$r = $t->get('/x', 'Host: v2.traefik.test');
ok((grep { /^tk=127\.0\.20\.2[12]; Path=\/; Secure; HttpOnly; SameSite=Lax$/ }
        @{ $r->{cookies} }),
    'a Traefik cookie with its attributes')
    or diag explain $r->{cookies};

# keyed: a route's cookie names its task by the key's value, in the
# route's own index

$r = SwarmTest::http_get($p2, '/x', 'Host: v2.traefik.test');
my ($kv) = join(' ', @{ $r->{cookies} }) =~ /\btk=([\w-]{22});/;
my ($kip) = $r->{body} =~ /^([\d.]+):/;
is($kv // '', encode_base64url(substr(hmac_sha256($kip // '', $key), 0, 16)),
    'a keyed route cookie') or diag explain $r->{cookies};
%seen = ();
for (1 .. 6) {
    my $r = SwarmTest::http_get($p2, '/x', 'Host: v2.traefik.test',
        "Cookie: tk=$kv");
    $seen{ $r->{body} . ' ' . scalar @{ $r->{cookies} } }++;
}
is_deeply(\%seen, { "$kip:$p 0" => 6 },
    'a returning visitor stays on its task by the keyed value');

# metrics and variables name the route

ok(wait_for(sub { $t->get('/metrics')->{body}
    =~ /^nginx_swarm_task_requests_total\{upstream="tk",route="tv2\/tv2",service="tv2",[^}]*\} [1-9]/m }, 3),
    'a task\'s counts carry its route');
like($t->get('/metrics')->{body},
    qr/^nginx_swarm_task_requests_total\{upstream="swarm",route="web",service="web",/m,
    'a route of the native labels: the service');

# run time: a service added is routed, relabelled is moved, removed is
# unrouted, with no reload

my $reloads = () = $t->error_log =~ /reconfiguring/g;

service('late', { %native, 'swarm.http.host' => 'late.example.org' },
    '10.0.20.30');
$t->start_backends(@{ $addr{late} });
my $t0 = time;
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { who('late.example.org', '/') eq 'late' }, 5),
    'a service added is routed')
    or diag explain [ who('late.example.org', '/'),
        $t->status->{upstreams}{swarm} ];
my $took = time - $t0;
cmp_ok($took, '<', 1.5, 'within a second or so of the change');
diag sprintf 'a new service routed %.0f ms after it was listed', $took * 1000;

$services[-1]{Spec}{Labels}{'swarm.http.host'} = 'later.example.org';
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { who('later.example.org', '/') eq 'late' }, 5),
    'a service relabelled: routed by its new labels');
is(who('late.example.org', '/'), 'web', 'and no longer by its old ones');

@services = grep { $_->{Spec}{Name} ne 'blog' } @services;
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { who('blog.example.com', '/') eq 'wild' }, 5),
    'a service removed: its host falls through');

@services = grep { $_->{Spec}{Name} ne 'tcase' } @services;
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { who('case.traefik.test', '/') eq '404' }, 5),
    'a service removed: 404 where nothing else matches');

is(scalar(() = $t->error_log =~ /reconfiguring/g), $reloads, 'no reload');

# a reload keeps the routes, as it keeps the task sets

my $gen = $t->status('?peers=off')->{upstreams}{swarm}{generation};
$t->reload;
ok(wait_for(sub {
    my $s = $t->status('?peers=off');
    $s && $s->{upstreams}{swarm}{generation} == $gen
       && who('later.example.org', '/') eq 'late' }, 10),
    'a reload keeps the routes');

$t->done_testing;
