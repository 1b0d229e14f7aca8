#!/usr/bin/perl

# forwardauth, as Traefik runs it (pkg/middlewares/auth/forward.go): the
# request's headers and X-Forwarded-Method, -Proto, -Host, -Port, -Uri
# and -For go to the address (a service routed in the upstream, by its
# name in the stack, or an IP address), without blocking a worker; 2xx
# lets the request on with authResponseHeaders copied into it; any
# other answer is the client's as the address gave it.  The stand-in
# answers as Authelia does (t/backend.py, "/auth/").

use strict;
use warnings;
use Test::More;
use FindBin;
use JSON::PP;
use Time::HiRes qw(time);
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

my $stack = traefik_stack($p, '10.0.41');
sub service { $stack->service(@_) }
sub router { $stack->router(@_) }
my ($services, $tasks) = @$stack{qw(services tasks)};

my $mw = 'traefik.http.middlewares';

# the auth server: a service of the stack, routed itself (its portal)
service('mystack_auth', 'traefik.http.routers.auth.rule' =>
    'Host(`auth.test`)');

my $auth_ip = "127.0.41.1:$p";

service('lb',
    "$mw.authelia.forwardauth.address" => "http://auth:$p/auth/verify?x=1",
    "$mw.authelia.forwardauth.trustForwardHeader" => 'true',
    "$mw.authelia.forwardauth.authResponseHeaders" =>
        'Remote-User,Remote-Groups',
    "$mw.byip.forwardauth.address" => "http://$auth_ip/auth/ip",
    "$mw.byip.forwardauth.authResponseHeadersRegex" => '^Remote-E',
    "$mw.byip.forwardauth.authRequestHeaders" => 'Authorization,Cookie',
    "$mw.keep.forwardauth.address" => "http://$auth_ip/auth/keep",
    "$mw.keep.forwardauth.preserveLocationHeader" => 'true',
    "$mw.signin.forwardauth.address" => "http://$auth_ip/auth/s",
    "$mw.signin.forwardauth.authSigninURL" => 'https://login.test/signin',
    "$mw.method.forwardauth.address" => "http://$auth_ip/auth/m",
    "$mw.method.forwardauth.preserveRequestMethod" => 'true',
    "$mw.down.forwardauth.address" => 'http://127.0.41.250:1/auth/',
    "$mw.slow.forwardauth.address" => "http://$auth_ip/slow?s=1",
    "$mw.nosuch.forwardauth.address" => "http://absent:$p/auth/",
    "$mw.https.forwardauth.address" => "https://auth:$p/auth/",
    "$mw.hdr.headers.customRequestHeaders.X-After" => 'yes');

router('app', 'authelia@swarm, hdr');
router('ip', 'byip');
router('keep', 'keep');
router('signin', 'signin');
router('method', 'method');
router('down', 'down');
router('slow', 'slow');
router('nosuch', 'nosuch');
router('https', 'https');
router('plain', undef);

$t->start_backends(map { "127.0.41.$_:$p" } 1 .. @$services);
$t->start_api(services => $services, tasks => $tasks);

$t->conf_routes;
$t->start_nginx;

my $port = $t->port;

ok($t->wait_routes('tk', 'plain'), 'routes are published');

sub get { $t->host_get(@_) }

sub echo { http_echo($port, @_) }

# no session: the login page's redirect, as the address answered it

my $r = get('app.test', '/a/b?c=d');
is($r->{status}, 302, 'no session: 302, as the auth server answered');
is($r->{header}{location},
    'https://login.test/?rd=http%3A%2F%2Fapp.test%2Fa%2Fb%3Fc%3Dd',
    'its Location: back to the URL asked (X-Forwarded-Proto, -Host, -Uri)');
is($r->{header}{'set-cookie'}, 'auth_session=new; Path=/', 'its cookie');
is($r->{body}, '<a href="https://login.test/">Found</a>.', 'its body');
ok(!$r->{header}{'x-route'}, 'no task picked');

# a session: on to the task, with the headers the address gave

my $e = echo('app.test', '/x', 'Authorization: Bearer good',
    'Remote-User: forged', 'X-Forwarded-For: 10.9.9.9');
ok($e, 'a session: the task answers');
is($e && $e->{h}{'remote-user'}, 'alice',
    'authResponseHeaders: the address\'s Remote-User, not the client\'s');
is($e && $e->{h}{'remote-groups'}, 'admins', 'and Remote-Groups');
ok($e && !exists $e->{h}{'remote-email'}, 'not one it does not list');
is($e && $e->{h}{'x-after'}, 'yes', 'the next middleware ran');

$r = get('app.test', '/', 'Authorization: Bearer bad');
is($r->{status}, 401, '401 as the address answered');
is($r->{header}{'www-authenticate'}, 'Bearer realm="test"',
    'with its WWW-Authenticate');
is($r->{body}, 'denied', 'and its body');

# what the address received

$r = get('app.test', '/p/q?r=s', 'Authorization: Bearer echo',
    'X-Forwarded-For: 10.9.9.9', 'Content-Length: 0', 'Connection: close',
    'Cookie: a=b');
is($r->{status}, 403, 'an answer of 403, as is');
my $seen = eval { decode_json($r->{body}) } || {};
my %h = map { (lc $_->[0] => $_->[1]) } @{ $seen->{headers} || [] };
is($seen->{method}, 'GET', 'the address is asked with GET');
is($seen->{path}, '/auth/verify?x=1', 'at its path and query');
is($h{'x-forwarded-method'}, 'GET', 'X-Forwarded-Method');
is($h{'x-forwarded-proto'}, 'http', 'X-Forwarded-Proto');
is($h{'x-forwarded-host'}, 'app.test', 'X-Forwarded-Host');
is($h{'x-forwarded-uri'}, '/p/q?r=s', 'X-Forwarded-Uri');
is($h{'x-forwarded-port'}, '80', 'X-Forwarded-Port');
is($h{'x-forwarded-for'}, '10.9.9.9, 127.0.0.1',
    'trustForwardHeader: X-Forwarded-For, the client\'s address added');
is($h{cookie}, 'a=b', 'the request\'s headers');
ok(!exists $h{'content-length'}, 'no body');

$r = get('ip.test', '/', 'Authorization: Bearer echo',
    'X-Forwarded-For: 10.9.9.9', 'Cookie: a=b', 'X-Other: 1');
$seen = eval { decode_json($r->{body}) } || {};
%h = map { (lc $_->[0] => $_->[1]) } @{ $seen->{headers} || [] };
is($seen->{path}, '/auth/ip', 'an IP address: asked');
is($h{'x-forwarded-for'}, '127.0.0.1',
    'not trusted: the client\'s X-Forwarded-For dropped');
ok(!exists $h{'x-other'}, 'authRequestHeaders: only those');
is($h{cookie}, 'a=b', 'those listed are sent');

$e = echo('ip.test', '/', 'Authorization: Bearer good');
is($e && $e->{h}{'remote-email'}, 'alice@example.test',
    'authResponseHeadersRegex: the headers it matches');
ok($e && !exists $e->{h}{'remote-user'}, 'not the others');

# Location: relative made the address's, unless preserved

is(get('ip.test', '/', 'Authorization: Bearer rel')->{header}{location},
    "http://$auth_ip/login", 'a relative Location: the address\'s');
is(get('keep.test', '/', 'Authorization: Bearer rel')->{header}{location},
    '/login', 'preserveLocationHeader: as it is');

$r = get('signin.test', '/', 'Authorization: Bearer bad');
is($r->{status}, 302, 'authSigninURL: 401 becomes 302');
is($r->{header}{location}, 'https://login.test/signin', 'to it');

$r = get('method.test', 'DELETE /', 'Authorization: Bearer echo');
$seen = eval { decode_json($r->{body}) } || {};
is($seen->{method}, 'DELETE', 'preserveRequestMethod');

# the address down: 500, never the task

$r = get('down.test', '/', 'Authorization: Bearer good');
is($r->{status}, 500, 'the address does not answer: 500');
ok(!$r->{header}{'x-route'}, 'no task picked');

# refused: not routed, and said

is(get("$_.test", '/')->{status}, 404, "$_: not routed")
    for qw(nosuch https);

my @errors = $t->route_errors('tk');
for my $want (
    'nosuch: router "nosuch" not routed: middleware "nosuch@swarm": '
        . "address host \"absent\" is no service routed here on port $p, "
        . 'nor an IP address',
    'https: router "https" not routed: middleware "https@swarm": address '
        . "\"https://auth:$p/auth/\": only http addresses are run here")
{
    ok((grep { $_ eq $want } @errors), "status: $want")
        or diag explain \@errors;
}

# an address slow to answer: the one worker serves others meanwhile;
# a client that goes away meanwhile ends its call

open my $slow, '-|', "curl -s -o /dev/null -w '%{http_code}' "
    . "-H 'Host: slow.test' http://127.0.0.1:$port/" or die $!;
select(undef, undef, undef, 0.3);
my $t0 = time;
is(get('plain.test', '/')->{status}, 200, 'while a call waits: served');
cmp_ok(time - $t0, '<', 0.5, 'at once, the worker not blocked');
is(scalar <$slow>, '200', 'the call answered 200 a second on: let on');
close $slow;

system("curl -s -o /dev/null -m 0.3 -H 'Host: slow.test' "
    . "http://127.0.0.1:$port/");
select(undef, undef, undef, 1.2);
is(get('slow.test', '/')->{status}, 200, 'a client gone while its call '
    . 'waited: the next one served');

# many at once, none blocks: each waits for its own answer

my @fhs;
for my $i (1 .. 20) {
    open my $fh, '-|', "curl -s -o /dev/null -w '%{http_code}' "
        . "-H 'Host: app.test' -H 'Authorization: Bearer good' "
        . "http://127.0.0.1:$port/$i" or die $!;
    push @fhs, $fh;
}
my %codes;
$codes{ scalar readline $_ }++ for @fhs;
close $_ for @fhs;
is($codes{200}, 20, 'twenty at once: each answered') or diag explain \%codes;

# metrics

my $m = http_get($port, '/metrics')->{body};
like($m, qr/^nginx_swarm_middleware_answers_total
    \{type="forwardauth",status="302"\}\ [1-9]/mx,
    'metrics: forwardauth\'s answers, by status');
like($m, qr/^nginx_swarm_middleware_answers_total
    \{type="forwardauth",status="401"\}\ [1-9]/mx, 'and 401');

$t->done_testing;
