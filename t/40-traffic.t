#!/usr/bin/perl

# The middlewares that shape a route's traffic, as Traefik runs them
# (pkg/middlewares, v3.7.9): inflightreq (requests of a source at once,
# 429 past them, shared by the workers), retry (the tasks tried),
# buffering (413 for a request body too long, 500 for a response body
# said to be too long) and compress (gzip, only on the routes that ask).

use strict;
use warnings;
use Test::More;
use FindBin;
use JSON::PP;
use IO::Uncompress::Gunzip qw(gunzip $GunzipError);
use Time::HiRes qw(time sleep);
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which curl` or BAIL_OUT('curl is needed (make test installs it)');

my $t = SwarmTest->new;
my $p = free_port();
my $dir = $t->dir;

my (@services, @tasks, @live);

# a service with a task at 10.0.40.K for each K given

sub service {
    my ($name, $tasks, %labels) = @_;
    return traefik_service(\@services, \@tasks, $name, $p,
        [ map { "10.0.40.$_" } @$tasks ], %labels);
}

# a router of its own host; the first of its tasks has a backend

sub router {
    my ($name, $mws, $tasks) = @_;
    $tasks //= [ @services + 1 ];
    push @live, $tasks->[0];
    return service($name, $tasks, router_labels($name, $mws));
}

my $mw = 'traefik.http.middlewares';

service('lb', [],
    "$mw.one.inflightreq.amount" => '1',
    "$mw.none.inflightreq.amount" => '0',
    "$mw.bykey.inflightreq.amount" => '1',
    "$mw.bykey.inflightreq.sourceCriterion.requestHeaderName" => 'X-Key',
    "$mw.once.retry.attempts" => '1',
    "$mw.twice.retry.attempts" => '2',
    "$mw.twice.retry.initialInterval" => '100ms',
    "$mw.never.retry.attempts" => '0',
    "$mw.buf.buffering.maxRequestBodyBytes" => '100',
    "$mw.buf.buffering.maxResponseBodyBytes" => '2000',
    "$mw.buf.buffering.memRequestBodyBytes" => '50',
    "$mw.zip.compress" => 'true',
    "$mw.zipjson.compress.includedContentTypes" => 'application/json',
    "$mw.zipjson.compress.minResponseBodyBytes" => '10',
    "$mw.notext.compress.excludedContentTypes" => 'text/plain; charset=x',
    "$mw.zstd.compress.encodings" => 'zstd',
    "$mw.both.compress.includedContentTypes" => 'text/html',
    "$mw.both.compress.excludedContentTypes" => 'text/plain');

router('inflight', 'one');
router('none', 'none');
router('bykey', 'bykey');
router('nretry', undef, [ 101, 102 ]);
router('once', 'once', [ 111, 112 ]);
router('twice', 'twice', [ 121, 122 ]);
router('never', 'never');
router('buf', 'buf');
router('zip', 'zip');
router('zipjson', 'zipjson');
router('notext', 'notext');
router('zstd', 'zstd');
router('both', 'both');
router('plain', undef);

$t->start_backends(map { "127.0.40.$_:$p" } @live[0 .. 9]);
$t->start_backends(map { "127.0.40.$_:$p" } @live[10 .. $#live]);
$t->start_api(services => \@services, tasks => \@tasks);

$t->conf_routes(workers => 2, server => 'client_max_body_size 10m;',
    location => 'proxy_http_version 1.1;');
$t->start_nginx;

my $port = $t->port;

ok($t->wait_routes('tk', 'plain'), 'routes are published');

sub get { $t->host_get(@_) }

sub body {
    my ($r) = @_;
    return substr($r->{raw}, index($r->{raw}, "\r\n\r\n") + 4);
}

# a request to /slow in the background: its status to read

sub slow {
    my ($host, $s, @h) = @_;
    my $cmd = "curl -s -o /dev/null -w '%{http_code}' -H 'Host: $host' "
        . join(' ', map { "-H '$_'" } @h)
        . " 'http://127.0.0.1:$port/slow?s=$s'";
    open my $fh, '-|', $cmd or die $!;
    return $fh;
}

# inflightreq: one request of a source at once; a second waits for
# nothing, it is answered 429; the count goes down as a request ends,
# also one whose client went away

my $first = slow('inflight.test', 1);
sleep 0.3;
my $r = get('inflight.test', '/');
is($r->{status}, 429, 'inflightreq amount=1: a second request at once: 429');
ok(!$r->{header}{'x-route'}, 'and no task picked');
is(scalar <$first>, '200', 'the first one: served');
close $first;
is(get('inflight.test', '/')->{status}, 200, 'once it ended: served');

system("curl -s -o /dev/null -m 0.3 -H 'Host: inflight.test' "
    . "'http://127.0.0.1:$port/slow?s=2'");
ok(wait_for(sub { get('inflight.test', '/')->{status} == 200 }, 3),
    'a client gone away: its count goes down');

is(get('none.test', '/')->{status}, 429, 'amount=0: none at all');

$first = slow('bykey.test', 1, 'X-Key: a');
sleep 0.3;
is(get('bykey.test', '/', 'X-Key: a')->{status}, 429,
    'requestHeaderName: the same source at once: 429');
is(get('bykey.test', '/', 'X-Key: b')->{status}, 200,
    'another source: served');
is(scalar <$first>, '200', 'the first one: served');
close $first;

# the other worker counts in the same zone: many at once, one served

my @fhs = map { slow('inflight.test', 1) } 1 .. 6;
my %codes;
$codes{ scalar readline $_ }++ for @fhs;
close $_ for @fhs;
is($codes{200}, 1, 'six at once, two workers: one served')
    or diag explain \%codes;
is($codes{429}, 5, 'five refused');

# retry: attempts is the tasks tried; with none, every task is tried
# (one task here is never up)

my %st;
for my $host (qw(nretry once twice)) {
    $st{$host}{ get("$host.test", '/')->{status} }++ for 1 .. 20;
}
is($st{nretry}{200}, 20, 'no retry: the next task is tried, as nginx does')
    or diag explain $st{nretry};
ok($st{once}{502}, 'retry attempts=1: a task down answers 502')
    or diag explain $st{once};
is($st{twice}{200}, 20, 'attempts=2: the other task answers')
    or diag explain $st{twice};

# buffering

sub post {
    my ($host, $size, @opts) = @_;
    my $cmd = "head -c $size /dev/zero | tr '\\0' x | curl -s -o /dev/null "
        . "-w '%{http_code}' -H 'Host: $host' @opts --data-binary \@- "
        . "http://127.0.0.1:$port/";
    my $out = `$cmd`;
    return $out;
}

is(post('buf.test', 200), '413', 'maxRequestBodyBytes: a longer body: 413');
is(post('buf.test', 100), '200', 'as long: served');
is(post('buf.test', 200, "-H 'Transfer-Encoding: chunked'"), '413',
    'a longer body in chunks: 413');
is(post('buf.test', 60, "-H 'Transfer-Encoding: chunked'"), '200',
    'a shorter one in chunks: served');
is(post('plain.test', 5000), '200', 'a route without it: served');

$r = get('buf.test', '/big?n=2001');
is($r->{status}, 500, 'maxResponseBodyBytes: a longer response: 500');
ok(!$r->{header}{'x-backend'}, 'none of the task\'s headers');
$r = get('buf.test', '/big?n=2000');
is($r->{status}, 200, 'as long: served');
is(length body($r), 2000, 'all of it');
$r = get('buf.test', '/big?n=5000&chunked=1');
cmp_ok(length body($r), '<', 5000,
    'a longer response in chunks: cut short');
$r = get('buf.test', '/big?n=1500&chunked=1');
is(length body($r), 1500,
    'a shorter one in chunks: all of it');

# compress

sub gz {
    my ($r) = @_;
    my $in = body($r);
    my $out;
    gunzip(\$in => \$out) or return "gunzip: $GunzipError";
    return $out;
}

my $plain = get('zip.test', '/big?n=5000');
is($plain->{status}, 200, 'compress, no Accept-Encoding: served');
ok(!$plain->{header}{'content-encoding'}, 'as it is');
is(length body($plain), 5000, 'all of it');

$r = get('zip.test', '/big?n=5000', 'Accept-Encoding: gzip, deflate, br');
is($r->{header}{'content-encoding'}, 'gzip', 'Accept-Encoding gzip: gzipped');
ok(!$r->{header}{'content-length'}, 'its length no longer said');
like(join(',', map { $_->[1] } grep { lc $_->[0] eq 'vary' }
    @{ $r->{headers} }), qr/Accept-Encoding/, 'Vary: Accept-Encoding');
cmp_ok(length body($r), '<', 5000, 'smaller');
is(gz($r), body($plain), 'the same once gunzipped');

$r = get('zip.test', '/big?n=5000&chunked=1', 'Accept-Encoding: gzip');
is($r->{header}{'content-encoding'}, 'gzip', 'one sent in chunks too');
is(gz($r), body($plain), 'the same once gunzipped');

my $big = get('zip.test', '/big?n=3000000');
$r = get('zip.test', '/big?n=3000000', 'Accept-Encoding: gzip');
ok(gz($r) eq body($big), 'three megabytes, through many buffers');

is(get('zip.test', '/big?n=1023', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, undef,
    'shorter than minResponseBodyBytes (1024): as it is');
is(get('zip.test', '/big?n=5000', 'Accept-Encoding: gzip;q=0')
    ->{header}{'content-encoding'}, undef, 'gzip;q=0: as it is');
is(get('zip.test', '/big?n=5000', 'Accept-Encoding: *')
    ->{header}{'content-encoding'}, 'gzip', '*: gzipped');
is(get('zip.test', '/big?n=5000', 'Accept-Encoding: br')
    ->{header}{'content-encoding'}, undef, 'br alone: as it is');
is(get('zip.test', '/big?n=5000&enc=identity2', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, 'identity2',
    'an encoded response: left as it is');
is(get('zip.test', '/big?n=5000&type=application/grpc',
    'Accept-Encoding: gzip')->{header}{'content-encoding'}, undef,
    'application/grpc: never');
is(get('plain.test', '/big?n=5000', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, undef, 'a route without it: as it is');

is(get('zipjson.test', '/big?n=100&type=application/json',
    'Accept-Encoding: gzip')->{header}{'content-encoding'}, 'gzip',
    'includedContentTypes, minResponseBodyBytes=10: gzipped');
is(get('zipjson.test', '/big?n=5000', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, undef, 'another type: as it is');
is(get('notext.test', '/big?n=5000', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, undef,
    'excludedContentTypes: as it is');
is(get('notext.test', '/big?n=5000&type=text/html', 'Accept-Encoding: gzip')
    ->{header}{'content-encoding'}, 'gzip', 'another type: gzipped');

# refused: not routed, and said

is(get("$_.test", '/')->{status}, 404, "$_: not routed")
    for qw(never zstd both);

my @errors = $t->route_errors('tk');
for my $want (
    'never: router "never" not routed: middleware "never@swarm": '
        . 'incorrect (or empty) value for attempt (0)',
    'zstd: router "zstd" not routed: middleware "zstd@swarm": encodings: '
        . 'gzip is the one run here',
    'both: router "both" not routed: middleware "both@swarm": '
        . 'excludedContentTypes and includedContentTypes options are '
        . 'mutually exclusive')
{
    ok((grep { $_ eq $want } @errors), "status: $want")
        or diag explain \@errors;
}

# swarm_metrics: what they answered themselves

my $m = http_get($port, '/metrics')->{body};
like($m, qr/^nginx_swarm_middleware_answers_total
    \{type="inflightreq",status="429"\}\ (?:[6-9]|\d\d)$/mx,
    'metrics: inflightreq\'s 429');
like($m, qr/^nginx_swarm_middleware_answers_total
    \{type="buffering",status="other"\}\ 1$/mx,
    'and buffering\'s 413 for a length said (as "other")');

$t->done_testing;
