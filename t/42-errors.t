#!/usr/bin/perl

# errors, as Traefik runs it (pkg/middlewares/customerrors): a response
# of one of its statuses is replaced by the page "query" of its service
# gives, with the status (or statusRewrites'), the page's headers and
# body; the response's own body is dropped.  The page's service is one
# the upstream routes.

use strict;
use warnings;
use Test::More;
use FindBin;
use JSON::PP;
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which curl` or BAIL_OUT('curl is needed (make test installs it)');

my $t = SwarmTest->new;
my $p = free_port();

my $stack = traefik_stack($p, '10.0.42');
sub service { $stack->service(@_) }
sub router { $stack->router(@_) }
my ($services, $tasks) = @$stack{qw(services tasks)};

my $mw = 'traefik.http.middlewares';

# the pages' service, routed itself (a catch-all of low priority, say)
service('mystack_pages', 'traefik.http.routers.pages.rule' =>
    'Host(`pages.test`)', 'traefik.http.routers.pages.service' =>
    'error-pages', 'traefik.http.services.error-pages.'
    . 'loadbalancer.server.port' => "$p");

service('lb',
    "$mw.oops.errors.status" => '500-599,404',
    "$mw.oops.errors.service" => 'error-pages',
    "$mw.oops.errors.query" => '/{status}.html?from={originalStatus}&u={url}',
    "$mw.teapot.errors.status" => '418',
    "$mw.teapot.errors.service" => 'error-pages@swarm',
    "$mw.teapot.errors.query" => '/page',
    "$mw.teapot.errors.statusRewrites.418" => '404',
    "$mw.only.errors.status" => '404',
    "$mw.only.errors.service" => 'error-pages',
    "$mw.only.errors.errorRequestHeaders" => 'X-Echo,X-Keep',
    "$mw.nopage.errors.status" => '404',
    "$mw.nopage.errors.service" => 'absent');

router('app', 'oops');
router('tea', 'teapot');
router('only', 'only');
router('nopage', 'nopage');
router('down', 'oops');
router('plain', undef);

# every task has a backend but "down"'s
$t->start_backends(map { "127.0.42.$_:$p" }
    grep { $_ != 7 } 1 .. @$services);
$t->start_api(services => $services, tasks => $tasks);

$t->conf_routes;
$t->start_nginx;

my $port = $t->port;
my $pages = "127.0.42.1:$p";

ok($t->wait_routes('tk', 'plain'), 'routes are published');

sub get { $t->host_get(@_) }

my $r = get('app.test', '/status?code=404');
is($r->{status}, 404, 'a 404 of the task: 404');
is($r->{body}, $pages, 'the body: the error page\'s, of its service');
is($r->{header}{'x-backend'}, $pages, 'its headers');
ok(!$r->{header}{'x-app'}, 'none of the task\'s');

$r = get('app.test', '/status?code=503');
is($r->{status}, 503, 'a 503 of the range 500-599: 503');
is($r->{body}, $pages, 'the error page');

$r = get('app.test', '/status?code=200');
is($r->{status}, 200, 'a 200: as it is');
is($r->{body}, 'app said 200', 'the task\'s body');
$r = get('app.test', '/status?code=403');
is($r->{status}, 403, 'a status of none of its ranges: as it is');
is($r->{body}, 'app said 403', 'the task\'s body');

# what the page's service is asked

$r = get('app.test', '/status?code=500&k=v', 'X-Echo: 1');
is($r->{status}, 500, 'a 500');
my $seen = eval { decode_json($r->{body}) } || {};
is($seen->{path},
    '/500.html?from=500&u=http%3A%2F%2Fapp.test%2Fstatus%3Fcode%3D500%26k%3Dv',
    'query: {status}, {originalStatus} and {url} replaced');

$r = get('tea.test', '/status?code=418', 'X-Echo: 1');
is($r->{status}, 404, 'statusRewrites: 418 as 404');
$seen = eval { decode_json($r->{body}) } || {};
is($seen->{path}, '/page', 'the query as it is');

$r = get('only.test', '/status?code=404', 'X-Echo: 1', 'X-Keep: k',
    'X-Other: o');
$seen = eval { decode_json($r->{body}) } || {};
my %h = map { (lc $_->[0] => $_->[1]) } @{ $seen->{headers} || [] };
is($seen->{path}, '/', 'no query: "/"');
is($h{'x-keep'}, 'k', 'errorRequestHeaders: those listed');
ok(!exists $h{'x-other'}, 'not the others');

# a long body of the task's is dropped; one connection, two requests

$r = get('app.test', '/status?code=502&n=300000');
is($r->{status}, 502, 'a 502 with 300 kB of body');
is($r->{body}, $pages, 'replaced by the page');

my $url = "http://127.0.0.1:$port/status?code=";
my $cmd = "curl -s -H 'Host: app.test' '${url}404' '${url}200' "
    . "-w '|%{num_connects}'";
my $out = `$cmd`;
is($out, "$pages\n|1app said 200\n|0",
    'keep-alive: each body whole, on one connection')
    or diag $out;

# nginx's own error: the task down

$r = get('down.test', '/');
is($r->{status}, 502, 'the task down: nginx\'s 502');
is($r->{body}, $pages, 'replaced by the page too');

# refused: not routed, and said

is(get('nopage.test', '/')->{status}, 404, 'nopage: not routed');
my @errors = $t->route_errors('tk');
my $want = 'nopage: router "nopage" not routed: middleware "nopage@swarm": '
    . 'service "absent" is defined by no service\'s labels';
ok((grep { $_ eq $want } @errors), "status: $want") or diag explain \@errors;

my $m = http_get($port, '/metrics')->{body};
like($m, qr/^nginx_swarm_middleware_answers_total
    \{type="errors",status="other"\}\ [1-9]/mx,
    'metrics: the pages sent, by status');

$t->done_testing;
