#!/usr/bin/perl

# Middlewares, as Traefik runs a router's (pkg/middlewares, v3.7.9):
# defined by the labels of any selected service (here the load
# balancer's own, as stacks do) or by swarm_middleware ("@file"), named
# by routers left to right, chains expanded; one that answers (a
# redirect, 401, 403, a CORS preflight) stops the rest and no task is
# picked.  A router that names a middleware that does not exist, or one
# this module does not run, is not routed, with a note.  Labels changed
# at run time take effect with no reload.

use strict;
use warnings;
use Test::More;
use FindBin;
use JSON::PP;
use Time::HiRes qw(time);
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which openssl` && `which curl` && `which htpasswd`
    or BAIL_OUT('openssl, curl and htpasswd are needed (make test '
        . 'installs them)');

my $t = SwarmTest->new;
my $p = free_port();
my $tls = free_port();
my $dir = $t->dir;

system("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost "
    . "-days 1 -keyout $dir/key.pem -out $dir/cert.pem >/dev/null 2>&1") == 0
    or BAIL_OUT('openssl could not make a certificate');

# hashes as htpasswd and openssl make them

sub hash {
    my ($opt, $user, $pass) = @_;
    my $h = `htpasswd -nb$opt $user $pass`;
    $h =~ s/\s+\z//;
    return $h;
}

my $bcrypt = hash('B', 'alice', 'wonder');
my $apr1 = hash('m', 'bob', 'builder');
my $sha = hash('s', 'carol', 'singer');
my $md5 = 'dave:' . `openssl passwd -1 diver` =~ s/\s+\z//r;
like($bcrypt, qr/^alice:\$2y\$/, 'htpasswd makes bcrypt');

open my $fh, '>', "$dir/users" or die $!;
print $fh "# the file's users\n\n$apr1\n";
close $fh;

my (@services, @tasks);

sub service {
    my ($name, %labels) = @_;
    my $n = @services + 1;
    return traefik_service(\@services, \@tasks, $name, $p,
        [ "10.0.39.$n" ], %labels);
}

sub router {
    my ($name, $rule, $mws, %more) = @_;
    return service($name, "traefik.http.routers.$name.rule" => $rule,
        ($mws ? ("traefik.http.routers.$name.middlewares" => $mws) : ()),
        %more);
}

my $mw = 'traefik.http.middlewares';

# the load balancer's own service: middlewares that every router may use
my $lb = service('lb',
    "$mw.https-redirect.redirectscheme.scheme" => 'https',
    "$mw.https-redirect.redirectscheme.permanent" => 'true',
    "$mw.to8443.redirectscheme.scheme" => 'https',
    "$mw.to8443.redirectscheme.port" => '8443',
    "$mw.admin-auth.basicauth.users" => "$bcrypt,$md5",
    "$mw.admin-auth.basicauth.realm" => 'Admin',
    "$mw.file-auth.basicauth.usersfile" => "$dir/users",
    "$mw.file-auth.basicauth.users" => $sha,
    "$mw.file-auth.basicauth.removeheader" => 'true',
    "$mw.file-auth.basicauth.headerfield" => 'X-WebAuth-User',
    "$mw.sec.headers.customRequestHeaders.X-Script-Name" => 'test',
    "$mw.sec.headers.customRequestHeaders.X-Drop" => '',
    "$mw.sec.headers.customResponseHeaders.X-Backend" => '',
    "$mw.sec.headers.customResponseHeaders.X-Custom-Response" => 'hi',
    "$mw.sec.headers.frameDeny" => 'true',
    "$mw.sec.headers.contentTypeNosniff" => 'true',
    "$mw.sec.headers.stsSeconds" => '31536000',
    "$mw.sec.headers.stsIncludeSubdomains" => 'true',
    "$mw.cors.headers.accessControlAllowOriginList" => 'https://ok.test',
    "$mw.cors.headers.accessControlAllowMethods" => 'GET,OPTIONS',
    "$mw.cors.headers.accessControlMaxAge" => '100',
    "$mw.cors.headers.addVaryHeader" => 'true',
    "$mw.strip.stripprefix.prefixes" => '/app,/other',
    "$mw.add.addprefix.prefix" => '/api',
    "$mw.repl.replacepath.path" => '/foo',
    "$mw.replre.replacepathregex.regex" => '^/old/(.*)',
    "$mw.replre.replacepathregex.replacement" => '/new/$1',
    "$mw.rre.redirectregex.regex" => '^http://rre.test/(.*)',
    "$mw.rre.redirectregex.replacement" => 'http://www.rre.test/${1}',
    "$mw.lo.ipallowlist.sourcerange" => '127.0.0.1/32, ::1',
    "$mw.ten.ipallowlist.sourcerange" => '10.0.0.0/8',
    "$mw.ten404.ipwhitelist.sourcerange" => '10.0.0.0/8',
    "$mw.ten404.ipwhitelist.rejectstatuscode" => '404',
    "$mw.depth.ipallowlist.sourcerange" => '127.0.0.0/8',
    "$mw.depth.ipallowlist.ipstrategy.depth" => '1',
    "$mw.both.chain.middlewares" => 'sec, admin-auth',
    "$mw.rl.circuitbreaker.expression" => 'NetworkErrorRatio() > 0.5',
    "$mw.slow.ratelimit.average" => '2',
    "$mw.slow.ratelimit.burst" => '2',
    "$mw.smooth.ratelimit.average" => '2',
    "$mw.perkey.ratelimit.average" => '1',
    "$mw.perkey.ratelimit.period" => '10s',
    "$mw.perkey.ratelimit.sourceCriterion.requestHeaderName" => 'X-Key',
    "$mw.typo.redirectscheme.scheme" => 'https',
    "$mw.typo.redirectscheme.permanant" => 'true',
    "$mw.crlf.headers.customResponseHeaders.X-A" => "a\r\nSet-Cookie: x=1");

router('redir', 'Host(`redir.test`)', 'https-redirect');
router('port', 'Host(`port.test`)', 'to8443@docker');
router('admin', 'Host(`admin.test`)', 'admin-auth');
router('files', 'Host(`files.test`)', 'file-auth@swarm');
router('sec', 'Host(`sec.test`)', 'sec');
router('cors', 'Host(`cors.test`)', 'cors');
router('strip', 'Host(`strip.test`)', 'strip');
router('add', 'Host(`add.test`)', 'add');
router('repl', 'Host(`repl.test`)', 'repl');
router('replre', 'Host(`replre.test`)', 'replre');
router('rre', 'HostRegexp(`^(www\.)?rre\.test$`)', 'rre');
router('lo', 'Host(`lo.test`)', 'lo');
router('ten', 'Host(`ten.test`)', 'ten');
router('ten404', 'Host(`ten404.test`)', 'ten404');
router('depth', 'Host(`depth.test`)', 'depth');
router('chain', 'Host(`chain.test`)', 'both');
router('order1', 'Host(`order1.test`)', 'ten@file, https-redirect');
router('order2', 'Host(`order2.test`)', 'https-redirect, ten@file');
router('file', 'Host(`file.test`)', 'from-file@file, sec');
router('missing', 'Host(`missing.test`)', 'nosuch');
router('missingfile', 'Host(`missingfile.test`)', 'sec@file');
router('rl', 'Host(`rl.test`)', 'rl');
router('slow', 'Host(`slow.test`)', 'slow');
router('smooth', 'Host(`smooth.test`)', 'smooth');
router('perkey', 'Host(`perkey.test`)', 'perkey');
router('typo', 'Host(`typo.test`)', 'typo');
router('crlf', 'Host(`crlf.test`)', 'crlf');
router('k8s', 'Host(`k8s.test`)', 'sec@kubernetescrd');
router('plain', 'Host(`plain.test`)', undef);

# Traefik v1 frontends: their labels as the middlewares of 1.7, in its
# order (whitelist, redirect, headers, auth)
my $v1 = service('v1.app', 'traefik.frontend.rule' => 'Host:v1.test',
    'traefik.port' => "$p",
    'traefik.frontend.auth.basic.users' => $bcrypt,
    'traefik.frontend.auth.basic.removeHeader' => 'true',
    'traefik.frontend.headers.customResponseHeaders' =>
        'X-V1:yes||X-Backend:',
    'traefik.frontend.headers.customRequestHeaders' => 'X-Req: one',
    'traefik.frontend.headers.frameDeny' => 'true');
service('v1redir', 'traefik.frontend.rule' => 'Host:v1redir.test',
    'traefik.port' => "$p",
    'traefik.frontend.redirect.entryPoint' => 'https',
    'traefik.frontend.redirect.permanent' => 'true',
    'traefik.frontend.whiteList.sourceRange' => '127.0.0.1');
service('v1deny', 'traefik.frontend.rule' => 'Host:v1deny.test',
    'traefik.port' => "$p",
    'traefik.frontend.redirect.entryPoint' => 'https',
    'traefik.frontend.whiteList.sourceRange' => '10.0.0.0/8');
service('v1fwd', 'traefik.frontend.rule' => 'Host:v1fwd.test',
    'traefik.port' => "$p",
    'traefik.frontend.auth.forward.address' => 'http://127.0.0.1:1/');
service('v1ssl', 'traefik.frontend.rule' => 'Host:v1ssl.test',
    'traefik.port' => "$p",
    'traefik.frontend.headers.SSLRedirect' => 'true');

my $n = @services;
for (my $i = 1; $i <= $n; $i += 10) {
    my $last = $i + 9 < $n ? $i + 9 : $n;
    $t->start_backends(map { "127.0.39.$_:$p" } $i .. $last);
}
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

    swarm_middleware ten ipallowlist sourceRange=10.0.0.0/8;
    swarm_middleware from-file headers
        customRequestHeaders.X-From-File=yes;

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
        location = /metrics { swarm_metrics; }
$loc
    }

    server {
        listen 127.0.0.1:$tls ssl;
        ssl_certificate $dir/cert.pem;
        ssl_certificate_key $dir/key.pem;
$loc
    }
EOC
$t->start_nginx;

my $port = $t->port;

ok($t->wait_routes('tk', 'plain'), 'routes are published');

sub get {
    my ($host, $path, @h) = @_;
    return http_get($port, $path // '/', "Host: $host", @h);
}

sub echo { http_echo($port, @_) }

sub tls_get {
    my ($host, $path, @h) = @_;
    my $hdr = join ' ', map { "-H '$_'" } ("Host: $host", @h);
    my $out = `curl -sk -D - -o /dev/null $hdr https://127.0.0.1:$tls$path`;
    my ($status) = $out =~ m{^HTTP/\S+ (\d+)};
    my %h = map { /^([^:]+):\s*(.*?)\r?$/ ? (lc $1 => $2) : () }
        split /\n/, $out;
    return { status => $status // 0, header => \%h };
}

# redirectscheme: 301 for GET, 308 otherwise, the port given; none over
# TLS (the URL is already that)

my $r = get('redir.test', '/a/b?x=1');
is($r->{status}, 301, 'redirectscheme permanent: 301');
is($r->{header}{location}, 'https://redir.test/a/b?x=1',
    'to https, with the path and query');
ok(!$r->{header}{'x-route'}, 'no task picked');
is(get('redir.test', 'POST /a')->{status}, 308, 'POST: 308');
is(tls_get('redir.test', '/a')->{status}, 200, 'over TLS: on to the task');
is(get('redir.test:8080', '/')->{header}{location}, 'https://redir.test/',
    'the port of Host is not kept');

$r = get('port.test', '/p');
is($r->{status}, 302, 'not permanent: 302');
is($r->{header}{location}, 'https://port.test:8443/p', 'the port given');
is(get('port.test', 'PUT /p')->{status}, 307, 'PUT: 307');

# basicauth: bcrypt and MD5 crypt; a usersfile with apr1, and SHA1

$r = get('admin.test', '/');
is($r->{status}, 401, 'basicauth: 401 without credentials');
is($r->{header}{'www-authenticate'}, 'Basic realm="Admin"', 'the realm');

use MIME::Base64 qw(encode_base64);
sub auth { my $s = encode_base64($_[0], ''); "Authorization: Basic $s" }

is(get('admin.test', '/', auth('alice:wonder'))->{status}, 200, 'bcrypt');
is(get('admin.test', '/', auth('alice:wonderland'))->{status}, 401,
    'a wrong password: 401');
is(get('admin.test', '/', auth('dave:diver'))->{status}, 200, 'MD5 crypt');
is(get('admin.test', '/', auth('nobody:wonder'))->{status}, 401,
    'an unknown user: 401');
my $e = echo('admin.test', '/', auth('alice:wonder'));
ok($e && $e->{h}{authorization}, 'Authorization goes on by default');

$e = echo('files.test', '/', auth('bob:builder'));
ok($e, 'the usersfile: apr1');
ok($e && !exists $e->{h}{authorization}, 'removeheader: not sent on');
is($e && $e->{h}{'x-webauth-user'}, 'bob', 'headerfield: the user');
is(get('files.test', '/', auth('carol:singer'))->{status}, 200,
    'users beside the usersfile: SHA1');
is(get('files.test', '/', 'X-WebAuth-User: bob')->{status}, 401,
    'the header field alone is nothing');

# headers

$e = echo('sec.test', '/', 'X-Drop: 1', 'X-Script-Name: forged');
is($e && $e->{h}{'x-script-name'}, 'test', 'customRequestHeaders: set');
ok($e && !exists $e->{h}{'x-drop'}, 'an empty one: removed');
$r = get('sec.test', '/');
is($r->{status}, 200, 'headers: on to the task');
ok(!exists $r->{header}{'x-backend'}, 'customResponseHeaders: removed');
is($r->{header}{'x-custom-response'}, 'hi', 'and set');
is($r->{header}{'x-frame-options'}, 'DENY', 'frameDeny');
is($r->{header}{'x-content-type-options'}, 'nosniff', 'contentTypeNosniff');
ok(!exists $r->{header}{'strict-transport-security'},
    'no Strict-Transport-Security over plain HTTP');
is(tls_get('sec.test', '/')->{header}{'strict-transport-security'},
    'max-age=31536000; includeSubDomains', 'but over TLS');

# CORS: a preflight answered here, other requests get the headers

$r = get('cors.test', 'OPTIONS /', 'Origin: https://ok.test',
    'Access-Control-Request-Method: GET');
is($r->{status}, 200, 'preflight: 200');
ok(!exists $r->{header}{'x-backend'}, 'answered here, not by a task');
is($r->{header}{'access-control-allow-origin'}, 'https://ok.test',
    'the origin allowed');
is($r->{header}{'access-control-allow-methods'}, 'GET,OPTIONS', 'methods');
is($r->{header}{'access-control-max-age'}, '100', 'max age');
$r = get('cors.test', '/', 'Origin: https://ok.test');
is($r->{header}{'access-control-allow-origin'}, 'https://ok.test',
    'a request: the origin');
is($r->{header}{vary}, 'Origin', 'addVaryHeader');
ok(!exists get('cors.test', '/', 'Origin: https://evil.test')
    ->{header}{'access-control-allow-origin'}, 'no other origin');

# the path the task receives

$e = echo('strip.test', '/app/x?y=1');
is($e && $e->{path}, '/x?y=1', 'stripprefix: the prefix goes');
is($e && $e->{h}{'x-forwarded-prefix'}, '/app', 'X-Forwarded-Prefix');
is(echo('strip.test', '/app')->{path}, '/', 'nothing left: "/"');
is(echo('strip.test', '/other/a%20b')->{path}, '/a%20b',
    'the second prefix; sent escaped');
is(echo('strip.test', '/none')->{path}, '/none', 'no prefix: as it was');
is(echo('add.test', '/x?q')->{path}, '/api/x?q', 'addprefix');
$e = echo('repl.test', '/bar');
is($e && $e->{path}, '/foo', 'replacepath');
is($e && $e->{h}{'x-replaced-path'}, '/bar', 'X-Replaced-Path');
is(echo('replre.test', '/old/a/b')->{path}, '/new/a/b', 'replacepathregex');
is(echo('replre.test', '/keep')->{path}, '/keep', 'no match: as it was');

$r = get('rre.test', '/z?k=v');
is($r->{status}, 302, 'redirectregex: 302');
is($r->{header}{location}, 'http://www.rre.test/z?k=v', 'its replacement');
is(get('www.rre.test', '/z')->{status}, 200, 'no match: on to the task');

# ipallowlist, on the address nginx sees

is(get('lo.test', '/')->{status}, 200, 'ipallowlist: loopback allowed');
is(get('ten.test', '/')->{status}, 403, 'another network: 403');
is(get('ten404.test', '/')->{status}, 404, 'ipwhitelist, rejectStatusCode');
is(get('depth.test', '/', 'X-Forwarded-For: 127.0.0.5')->{status}, 403,
    'an ipstrategy: a client\'s X-Forwarded-For is not trusted');

# order, chains, @file

$r = get('chain.test', '/');
is($r->{status}, 401, 'a chain: its auth');
is($r->{header}{'x-frame-options'}, 'DENY',
    'with the headers of the middleware that ran before');
is(get('chain.test', '/', auth('alice:wonder'))->{status}, 200,
    'the chain lets on');
$r = get('order1.test', '/');
is($r->{status}, 403, 'the allow list first: 403');
ok(!$r->{header}{location}, 'the redirect after it never ran');
is(get('order2.test', '/')->{status}, 301, 'the redirect first: 301');
$e = echo('file.test', '/');
is($e && $e->{h}{'x-from-file'}, 'yes', 'swarm_middleware: @file');
is($e && $e->{h}{'x-script-name'}, 'test', 'then the labels\' one');

# refused routers: not routed, and said

is(get($_, '/')->{status}, 404, "$_: not routed")
    for qw(missing.test missingfile.test rl.test typo.test crlf.test
           k8s.test);
is(get('plain.test', '/')->{status}, 200, 'a router with none: as before');

my @errors = $t->route_errors('tk');

for my $want (
    'missing: router "missing" not routed: middleware "nosuch@swarm" '
        . 'does not exist',
    'missingfile: router "missingfile" not routed: middleware "sec@file" '
        . 'does not exist',
    'rl: router "rl" not routed: middleware "rl@swarm": middleware type '
        . '"circuitbreaker" is not supported',
    'typo: router "typo" not routed: middleware "typo@swarm": option '
        . '"redirectscheme.permanant" is not supported',
    'crlf: router "crlf" not routed: middleware "crlf@swarm": '
        . 'customresponseheaders.X-A: invalid value',
    'k8s: router "k8s" not routed: middleware "sec@kubernetescrd": '
        . 'provider "kubernetescrd" is none of this module\'s (swarm, '
        . 'docker, file)')
{
    ok((grep { $_ eq $want } @errors), "status: $want")
        or diag explain \@errors;
}

# swarm_status lists each route's middlewares, never a hash

my %routes = map { ($_->{service} => $_) }
    @{ $t->status('?peers=off')->{upstreams}{tk}{routes} };
is_deeply([ map { $_->{name} } @{ $routes{chain}{middlewares} } ],
    [ 'sec@swarm', 'admin-auth@swarm' ], 'status: a chain, expanded');
is_deeply($routes{admin}{middlewares}[0]{users}, [ 'alice', 'dave' ],
    'status: the users by name');
unlike(encode_json($t->status('?peers=off')), qr/\$2y\$/,
    'no hash in the status');

# v1 frontends

$r = get('v1.test', '/');
is($r->{status}, 401, 'v1 auth.basic: 401');
is($r->{header}{'x-frame-options'}, 'DENY',
    'v1 headers run before auth, as in 1.7');
$r = get('v1.test', '/', auth('alice:wonder'));
is($r->{status}, 200, 'v1 auth.basic: the password');
is($r->{header}{'x-v1'}, 'yes', 'v1 customResponseHeaders: K:V||K:V');
ok(!exists $r->{header}{'x-backend'}, 'and an empty one removes');
$e = echo('v1.test', '/', auth('alice:wonder'));
is($e && $e->{h}{'x-req'}, 'one', 'v1 customRequestHeaders');
ok($e && !exists $e->{h}{authorization}, 'v1 auth.basic.removeHeader');
$r = get('v1redir.test', '/p');
is($r->{status}, 301, 'v1 redirect.entryPoint, permanent: 301');
is($r->{header}{location}, 'https://v1redir.test/p', 'to https');
is(get('v1deny.test', '/')->{status}, 403,
    'v1 whitelist first: 403 before the redirect');
is(get('v1fwd.test', '/')->{status}, 404,
    'v1 forward auth, not run here: not routed');
is(get('v1ssl.test', '/')->{status}, 404,
    'v1 headers.SSLRedirect, not run here: not routed');

@errors = $t->route_errors('tk');
for my $want (
    'v1fwd: not routed: traefik.frontend.auth.forward.address is not '
        . 'supported',
    'v1ssl: not routed: middleware "v1ssl-v1-headers@swarm": option '
        . '"headers.sslredirect" is not supported')
{
    ok((grep { $_ eq $want } @errors), "status: $want")
        or diag explain \@errors;
}

# ratelimit: bursts, then 429 with Retry-After; a request a little
# early is delayed instead, as Traefik's maxDelay has it

is(get('slow.test', '/')->{status}, 200, 'ratelimit: the first of a burst');
is(get('slow.test', '/')->{status}, 200, 'the second (burst=2)');
$r = get('slow.test', '/');
is($r->{status}, 429, 'the third: 429');
is($r->{header}{'retry-after'}, '1', 'Retry-After, in whole seconds');
ok(!$r->{header}{'x-route'}, 'no task picked');

my $t1 = time;
is(get('smooth.test', '/')->{status}, 200, 'ratelimit 2/s: one');
select(undef, undef, undef, 0.3);
my $t2 = time;
$r = get('smooth.test', '/');
my $took = time - $t2;
my $due = 0.5 - ($t2 - $t1);
is($r->{status}, 200, 'the next, 300 ms on: delayed, not refused');
cmp_ok($took, '>=', $due - 0.05,
    sprintf 'delayed %.0f ms, about the %.0f ms due', $took * 1000,
    $due * 1000);

is(get('perkey.test', '/', 'X-Key: a')->{status}, 200,
    'requestHeaderName: a source');
is(get('perkey.test', '/', 'X-Key: a')->{status}, 429, 'its limit');
is(get('perkey.test', '/', 'X-Key: b')->{status}, 200,
    'another source, its own limit');

# swarm_metrics: what middlewares answered themselves

my $m = http_get($port, '/metrics')->{body};
my @a = $m =~ /^nginx_swarm_middleware_answers_total
    \{type="(\w+)",status="(\w+)"\}\ (\d+)$/mgx;
my %answers;
while (my ($type, $status, $v) = splice @a, 0, 3) {
    $answers{"$type $status"} = $v;
}
cmp_ok($answers{'redirectscheme 301'} // 0, '>=', 3,
    'metrics: redirects answered, by status');
cmp_ok($answers{'redirectscheme 308'} // 0, '>=', 1, 'and 308');
cmp_ok($answers{'basicauth 401'} // 0, '>=', 5, 'basicauth\'s 401');
cmp_ok($answers{'ipallowlist 403'} // 0, '>=', 3, 'ipallowlist\'s 403');
is($answers{'ipallowlist other'}, 1, 'its rejectStatusCode 404: other');
is($answers{'headers 200'}, 1, 'the CORS preflight');
is($answers{'redirectregex 302'}, 1, 'redirectregex');
is($answers{'ratelimit 429'}, 2, 'ratelimit\'s 429');

# run time: labels changed, no reload

$lb->{Spec}{Labels}{"$mw.admin-auth.basicauth.users"} = $apr1;
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub {
    get('admin.test', '/', auth('bob:builder'))->{status} == 200 }, 5),
    'a middleware changed in labels: within seconds');
is(get('admin.test', '/', auth('alice:wonder'))->{status}, 401,
    'the old users are gone');

delete $services[1]{Spec}{Labels}{'traefik.http.routers.redir.middlewares'};
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { get('redir.test', '/')->{status} == 200 }, 5),
    'a router\'s middlewares removed: served');

$t->done_testing;
