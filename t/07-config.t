#!/usr/bin/perl

# Configuration errors are caught by "nginx -t" with a message that
# says what is wrong and where.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;

# keys for the keyed cookie: 15 bytes and a line end is too short
open my $k, '>', $t->dir . '/short' or die $!;
print $k "0123456789abcde\n";
close $k;
open $k, '>', $t->dir . '/key' or die $!;
print $k "0123456789abcdef\n";
close $k;

sub check {
    my ($http) = @_;
    $t->conf($http . "\n    server { listen 127.0.0.1:%%PORT%%; "
        . "location / { proxy_pass http://app; } }");
    my ($rc, $out) = $t->run_nginx('-t');
    return ($rc, $out);
}

my ($rc, $out) = check('upstream app { swarm_service name=web port=80; '
    . 'swarm_sticky cookie=srv max_age=30m samesite=strict; }');
is($rc, 0, 'a good configuration passes') or diag $out;

($rc, $out) = check('upstream app { swarm_service name=web port=80; '
    . 'swarm_sticky value=hmac key_file=%%DIR%%/key; }');
is($rc, 0, 'a keyed cookie with a key of 16 bytes passes') or diag $out;

($rc, $out) = check('upstream app { swarm_service name=web port=80 '
    . 'max_fails=3 fail_timeout=30s; swarm_service name=api max_fails=3; '
    . 'swarm_slow_start 1m; }');
is($rc, 0, 'failures and slow start pass') or diag $out;

($rc, $out) = check('swarm_endpoint unix:/run/a.sock; '
    . 'swarm_endpoint http://10.0.0.2:2375; '
    . 'swarm_endpoint https://10.0.0.3:2376; '
    . 'swarm_tls_certificate %%DIR%%/key; swarm_tls_certificate_key %%DIR%%/key; '
    . 'swarm_tls_trusted_certificate %%DIR%%/key; '
    . 'upstream app { swarm_service name=web port=80; }');
is($rc, 0, 'endpoints in order, and TLS files, pass') or diag $out;

my @bad = (
    ['upstream app { swarm_service port=80; }',
        qr/"swarm_service" needs "label=KEY=VALUE" or "name=NAME"/],
    ['upstream app { swarm_service name=a name=b; }',
        qr/invalid parameter "name=b"/],
    ['upstream app { swarm_service label=noequals; }',
        qr/invalid parameter "label=noequals"/],
    ['upstream app { swarm_service name=a port=0; }',
        qr/invalid parameter "port=0"/],
    ['upstream app { swarm_service name=a port=65536; }',
        qr/invalid parameter "port=65536"/],
    ['upstream app { swarm_service name=a color=red; }',
        qr/invalid parameter "color=red"/],
    ['upstream app { server 127.0.0.1:1; swarm_service name=a; }',
        qr/upstream "app" in \S+:\d+ mixes "server" and "swarm_service"/],
    ['upstream app { swarm_service name=a; server 127.0.0.1:1; }',
        qr/mixes "server" and "swarm_service"/],
    ['upstream app { swarm_service name=a; swarm_sticky samesite=sometimes; }',
        qr/invalid parameter "samesite=sometimes"/],
    ['upstream app { swarm_service name=a; swarm_sticky "cookie=a b"; }',
        qr/invalid parameter "cookie=a b"/],
    ['upstream app { swarm_service name=a; swarm_sticky "path=/a;b"; }',
        qr/invalid parameter "path=\/a;b"/],
    ['upstream app { swarm_service name=a; swarm_sticky "domain=a\\nb"; }',
        qr/invalid parameter "domain=a/],
    ['upstream app { swarm_service name=a; swarm_sticky max_age=soon; }',
        qr/invalid parameter "max_age=soon"/],
    ['upstream app { swarm_service name=a; swarm_sticky; swarm_sticky; }',
        qr/"swarm_sticky" directive is duplicate/],
    ['swarm_endpoint tcp://1.2.3.4:2375; upstream app { swarm_service name=a; }',
        qr/invalid value "tcp:\/\/1\.2\.3\.4:2375"/],
    ['swarm_endpoint unix:relative.sock; upstream app { swarm_service name=a; }',
        qr/the socket path must be absolute/],
    ['swarm_endpoint unix:/a; swarm_endpoint unix:/a; upstream app { swarm_service name=a; }',
        qr/"swarm_endpoint" directive is duplicate/],
    [join(' ', map { "swarm_endpoint unix:/$_;" } 1 .. 17)
        . ' upstream app { swarm_service name=a; }',
        qr/more than 16 "swarm_endpoint"/],
    ['swarm_endpoint ftp://a; upstream app { swarm_service name=a; }',
        qr/invalid value "ftp:\/\/a": expected "unix:\/path", "http:\/\/host:port" or "https:\/\/host:port"/],
    ['swarm_tls_certificate %%DIR%%/key; upstream app { swarm_service name=a; }',
        qr/"swarm_tls_certificate" and "swarm_tls_certificate_key" go together/],
    ['swarm_tls_trusted_certificate %%DIR%%/none.pem; upstream app { swarm_service name=a; }',
        qr/swarm_tls file "\S+\/none\.pem" cannot be read/],
    ['swarm_interval 10ms; upstream app { swarm_service name=a; }',
        qr/"swarm_interval" must be at least 100ms/],
    ['swarm_zone 1k; upstream app { swarm_service name=a; }',
        qr/"swarm_zone" of 1024 is too small/],
    ['upstream app { swarm_service name=a; } server { swarm_service name=b; }',
        qr/"swarm_service" directive is not allowed here/],
    ['upstream app { zone z 64k; swarm_service name=web port=80; }',
        qr/upstream "app" in \S+:\d+: "zone" cannot be used with "swarm_service"/],
    ['upstream app { swarm_service name=web port=80; zone z 64k; }',
        qr/"zone" cannot be used with "swarm_service"/],
    (map { ["upstream app { server 127.0.0.1:1; swarm_service name=a port=80; $_; }",
        qr/upstream "app" in \S+:\d+: a load balancing method after "swarm_service" replaces/] }
        'ip_hash', 'hash $remote_addr', 'random', 'least_conn'),
    # nginx's own check comes first where no server is left to balance
    ['upstream app { swarm_service name=a port=80; ip_hash; }',
        qr/no servers in upstream "app"/],
    ['upstream app { server 127.0.0.1:1; swarm_sticky; }',
        qr/upstream "app" in \S+:\d+: "swarm_sticky" needs "swarm_service"/],
    ['upstream app { swarm_service name=a network=' . ('n' x 64) . '; }',
        qr/invalid parameter "network=n+": Docker allows network names of at most 63 bytes/],
    ['upstream app { swarm_service name=a; swarm_sticky max_age=0; }',
        qr/invalid parameter "max_age=0": browsers drop a cookie of Max-Age=0/],

    # routes
    ['upstream app { swarm_routes name=web; }',
        qr/invalid parameter "name=web"/],
    ['upstream app { swarm_routes port=80; }',
        qr/"swarm_routes" needs "label=KEY=VALUE" or "traefik"/],
    ['upstream app { swarm_routes traefik label=a=b; }',
        qr/invalid parameter "label=a=b"/],
    ['upstream app { swarm_routes label=a=b traefik; }',
        qr/invalid parameter "traefik"/],
    ['upstream app { swarm_service traefik; }',
        qr/invalid parameter "traefik"/],
    ['upstream app { swarm_routes exposed_by_default traefik; }',
        qr/invalid parameter "exposed_by_default"/],
    ['upstream app { swarm_routes label=a=b exposed_by_default; }',
        qr/invalid parameter "exposed_by_default"/],
    ['upstream app { swarm_routes traefik exposed_by_default exposed_by_default; }',
        qr/invalid parameter "exposed_by_default"/],
    ['upstream app { swarm_routes traefik "default_rule=Host(`{{ .Toto }}`)"; }',
        qr/invalid "default_rule=" "Host\(`\{\{ \.Toto \}\}`\)": the action "\{\{ \.Toto \}\}" is not one of/],
    ['upstream app { swarm_routes traefik "default_rule=Host(`{{ .Name`)"; }',
        qr/invalid "default_rule=" .*: an action "\{\{" not closed/],
    ['upstream app { swarm_routes label=a=b default_rule=x; }',
        qr/invalid parameter "default_rule=x"/],
    ['upstream app { swarm_routes traefik default_rule=a default_rule=b; }',
        qr/invalid parameter "default_rule=b"/],
    ['upstream app { swarm_service name=a; swarm_routes traefik; }',
        qr/upstream "app" mixes "swarm_service" and "swarm_routes"/],
    ['upstream app { swarm_routes traefik; swarm_service name=a; }',
        qr/upstream "app" mixes "swarm_service" and "swarm_routes"/],
    ['upstream app { swarm_routes traefik; server 127.0.0.1:1; }',
        qr/upstream "app" in \S+:\d+ mixes "server" and/],
    ['upstream app { swarm_routes traefik; ip_hash; server 127.0.0.1:1; }',
        qr/a load balancing method after "swarm_service" replaces/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { location /x { swarm_route nope; } }',
        qr/"swarm_route" in \S+:\d+: no upstream "nope" has "swarm_routes"/],
    ['upstream app { swarm_service name=a; } '
        . 'server { location /x { swarm_route; } }',
        qr/"swarm_route" in \S+:\d+: no upstream has "swarm_routes"; name the upstream/],
    ['upstream app { swarm_routes traefik; } upstream b { swarm_routes label=a=b; } '
        . 'server { location /x { swarm_route; } }',
        qr/"swarm_route" in \S+:\d+: several upstreams have "swarm_routes"; name the upstream/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { location /x { swarm_route; swarm_route; } }',
        qr/"swarm_route" directive is duplicate/],
    ['upstream app { swarm_routes traefik; } server { swarm_route; }',
        qr/"swarm_route" directive is not allowed here/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { location /x { swarm_route a b; } }',
        qr/invalid number of arguments in "swarm_route"/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { swarm_entrypoint web tls tls; }',
        qr/invalid parameter "tls"/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { swarm_entrypoint web; swarm_entrypoint web; }',
        qr/"swarm_entrypoint" directive is duplicate/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { swarm_entrypoint web; } '
        . 'server { swarm_entrypoint web default; }',
        qr/entrypoint "web" is given with other parameters in another server/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { swarm_entrypoint a,b; }',
        qr/invalid entrypoint name "a,b"/],
    ['upstream app { swarm_routes traefik; } '
        . 'server { location / { swarm_entrypoint web; } }',
        qr/"swarm_entrypoint" directive is not allowed here/],

    # limits
    ['upstream app { swarm_service name=a ports=9000-8000; }',
        qr/invalid parameter "ports=9000-8000"/],
    ['upstream app { swarm_service name=a ports=8000; }',
        qr/invalid parameter "ports=8000"/],
    ['upstream app { swarm_service name=a ports=1-70000; }',
        qr/invalid parameter "ports=1-70000"/],
    ['upstream app { swarm_routes traefik ports=0-80; }',
        qr/invalid parameter "ports=0-80"/],
    ['swarm_allow 10.0.0.0/33; upstream app { swarm_service name=a; }',
        qr/invalid parameter "10\.0\.0\.0\/33"/],
    ['swarm_allow all; upstream app { swarm_service name=a; }',
        qr/invalid parameter "all"/],

    # failures and slow start
    ['upstream app { swarm_service name=a max_fails=x; }',
        qr/invalid parameter "max_fails=x"/],
    ['upstream app { swarm_service name=a fail_timeout=soon; }',
        qr/invalid parameter "fail_timeout=soon"/],
    ['upstream app { swarm_service name=a max_fails=2; swarm_service name=b max_fails=3; }',
        qr/"max_fails=3" differs from an earlier "swarm_service" of upstream "app": failures are counted by upstream/],
    ['upstream app { swarm_routes traefik fail_timeout=5s; swarm_routes label=a=b fail_timeout=6s; }',
        qr/"fail_timeout=6s" differs from an earlier "swarm_routes" of upstream "app"/],
    ['upstream app { server 127.0.0.1:1; swarm_slow_start 30s; }',
        qr/upstream "app" in \S+:\d+: "swarm_slow_start" needs "swarm_service" or "swarm_routes"/],
    ['upstream app { swarm_service name=a; swarm_slow_start 30s; swarm_slow_start 1s; }',
        qr/"swarm_slow_start" directive is duplicate/],
    ['upstream app { swarm_service name=a; swarm_slow_start soon; }',
        qr/"swarm_slow_start" directive invalid value/],

    # the keyed cookie
    ['upstream app { swarm_service name=a; swarm_sticky value=hmac; }',
        qr/"value=hmac" needs "key_file="/],
    ['upstream app { swarm_service name=a; swarm_sticky key_file=%%DIR%%/key; }',
        qr/"key_file=" is for "value=hmac"/],
    ['upstream app { swarm_service name=a; swarm_sticky value=md5; }',
        qr/invalid parameter "value=md5"/],
    ['upstream app { swarm_service name=a; swarm_sticky value=hmac key_file=; }',
        qr/invalid parameter "key_file="/],
    ['upstream app { swarm_service name=a; '
        . 'swarm_sticky value=hmac key_file=%%DIR%%/none; }',
        qr/open\(\) "\S+\/none" failed/],
    ['upstream app { swarm_service name=a; '
        . 'swarm_sticky value=hmac key_file=%%DIR%%/short; }',
        qr/key_file "\S+\/short" holds a key of 15 bytes, at least 16 are needed/],

    # the dashboard and the metrics
    ['upstream app { swarm_service name=a; } '
        . 'server { location /d { swarm_dashboard "status=/a<b"; } }',
        qr/invalid parameter "status=\/a<b"/],
    ['upstream app { swarm_service name=a; } '
        . 'server { location /d { swarm_dashboard metrics=; } }',
        qr/invalid parameter "metrics="/],
    ['upstream app { swarm_service name=a; } '
        . 'server { location /d { swarm_dashboard color=red; } }',
        qr/invalid parameter "color=red"/],
    ['upstream app { swarm_service name=a; } '
        . 'server { location /d { swarm_dashboard; swarm_dashboard; } }',
        qr/"swarm_dashboard" directive is duplicate/],
    ['upstream app { swarm_service name=a; } '
        . 'server { location /m { swarm_metrics on; } }',
        qr/invalid number of arguments in "swarm_metrics"/],
);

for my $b (@bad) {
    my ($conf, $pattern) = @$b;
    my ($rc, $out) = check($conf);
    isnt($rc, 0, "rejected: $conf");
    like($out, $pattern, "message: $conf");
}

($rc, $out) = check('upstream app { swarm_service name=a port=80 network='
    . ('n' x 63) . '; }');
is($rc, 0, 'a network name of 63 bytes') or diag $out;

# keepalive keeps the balancer, which it wraps: no method of its own

($rc, $out) = check('upstream app { swarm_service name=a port=80; '
    . 'swarm_sticky; keepalive 16; }');
is($rc, 0, 'keepalive after swarm_service') or diag $out;

($rc, $out) = check('upstream app { ip_hash; swarm_service name=a port=80; }');
is($rc, 0, 'a method before swarm_service gives way to it') or diag $out;
like($out, qr/load balancing method redefined/, 'with a warning');

($rc, $out) = check('upstream app { swarm_routes label=swarm.enable=true '
    . 'network=net port=8080; swarm_routes traefik exposed_by_default; '
    . 'swarm_sticky httponly; '
    . 'keepalive 16; } upstream b { swarm_routes traefik; } '
    . 'server { location /x { swarm_route app; location /x/y { } } '
    . 'location /b { swarm_route b; proxy_pass http://b; } }');
is($rc, 0, 'routes upstreams, swarm_route naming them') or diag $out;

($rc, $out) = check('swarm_allow 10.0.0.0/8; swarm_allow fd00::/8; '
    . 'upstream app { swarm_service name=a ports=8000-8999; '
    . 'swarm_service name=b port=22 ports=22-22; }');
is($rc, 0, 'swarm_allow, ports=') or diag $out;

($rc, $out) = check('upstream app { swarm_routes traefik; } '
    . 'server { location /x { swarm_route; } }');
is($rc, 0, 'swarm_route of the only routes upstream') or diag $out;

($rc, $out) = check('swarm_endpoint http://127.0.0.1:2375/; '
    . 'upstream app { swarm_service label=a=b=c; }');
is($rc, 0, 'http endpoint, label value with "="') or diag $out;

$t->done_testing;
