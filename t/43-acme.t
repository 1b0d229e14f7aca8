#!/usr/bin/perl

# Certificates from ACME (swarm_acme, swarm_tls), against Pebble, the
# Let's Encrypt test server, with its validation on: its DNS answers
# come from pebble-challtestsrv (127.0.0.1 for every name), and its
# HTTP-01 requests go to the test's plain server.  A router with
# tls.certresolver gets a certificate that a handshake with its name is
# served; one added at run time gets one with no reload; a restart
# takes them from the storage and orders nothing; a name no route has
# gets the server's own certificate; the challenge is answered before
# the router's redirect to HTTPS.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

`which pebble` && `which pebble-challtestsrv` && `which openssl`
    && `which curl`
    or BAIL_OUT('pebble, openssl and curl are needed (make test installs '
        . 'them)');

my $t = SwarmTest->new;
$t->allow(qr/could not be ordered/);
my $dir = $t->dir;
my ($p, $web, $secure, $acme, $acme_mgmt, $dns, $dns_mgmt, $short,
    $short_mgmt) = map { free_port() } 1 .. 9;

# Pebble's own certificate, for its HTTPS API, from a CA of the test's

system("cd $dir && openssl req -x509 -newkey ec -pkeyopt "
    . "ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 "
    . "-subj /CN=acme-test-ca >/dev/null 2>&1 && openssl req -newkey ec "
    . "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pebble.key "
    . "-out pebble.csr -subj /CN=127.0.0.1 >/dev/null 2>&1 && printf "
    . "'subjectAltName=IP:127.0.0.1\\n' > san && openssl x509 -req "
    . "-in pebble.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
    . "-out pebble.crt -days 2 -extfile san >/dev/null 2>&1 && "
    . "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
    . "-nodes -keyout default.key -out default.crt -days 2 "
    . "-subj /CN=default.invalid >/dev/null 2>&1") == 0
    or BAIL_OUT('openssl could not make the certificates');

# a second CA whose certificates last 24 s: renewed after 16

for ([ 'pebble', $acme, $acme_mgmt, 157766400 ],
     [ 'short', $short, $short_mgmt, 24 ])
{
    my ($name, $port, $mgmt, $validity) = @$_;
    open my $fh, '>', "$dir/$name.json" or die;
    print $fh <<"EOJ";
{ "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mgmt",
    "certificate": "$dir/pebble.crt",
    "privateKey": "$dir/pebble.key",
    "httpPort": $web,
    "tlsPort": $secure,
    "ocspResponderURL": "",
    "certificateValidityPeriod": $validity,
    "externalAccountBindingRequired": false } }
EOJ
    close $fh;
}

$t->spawn('challtestsrv', 'pebble-challtestsrv', '-defaultIPv4',
    '127.0.0.1', '-defaultIPv6', '', '-dns01', "127.0.0.1:$dns",
    '-http01', '', '-https01', '', '-tlsalpn01', '', '-management',
    "127.0.0.1:$dns_mgmt");

# Pebble refuses 5 % of good nonces (badNonce), which the module sends
# again: each is a request line more in its log.  The CA whose orders
# are counted refuses none.

sub start_pebble {
    my ($name, $port, $reject) = @_;
    local $ENV{PEBBLE_VA_NOSLEEP} = 1;
    local $ENV{PEBBLE_WFE_NONCEREJECT} = $reject;
    $t->spawn($name, 'pebble', '-config', "$dir/$name.json",
        '-dnsserver', "127.0.0.1:$dns");
    wait_for(sub { IO::Socket::INET->new("127.0.0.1:$port") }, 10)
        or BAIL_OUT('pebble did not start: ' . $t->read_file("$name.out"));
}

start_pebble('pebble', $acme, 0);
start_pebble('short', $short, 5);

my (@services, @tasks);

sub service {
    my ($name, %labels) = @_;
    my $n = @services + 1;
    return traefik_service(\@services, \@tasks, $name, $p,
        [ "10.0.43.$n" ], %labels);
}

# a.test on both entrypoints, redirected to HTTPS on the plain one, as
# Traefik's usual stack has it
service('a', 'traefik.http.routers.a.rule' => 'Host(`a.test`)',
    'traefik.http.routers.a.entrypoints' => 'websecure',
    'traefik.http.routers.a.tls.certresolver' => 'le',
    'traefik.http.routers.a-http.rule' => 'Host(`a.test`)',
    'traefik.http.routers.a-http.entrypoints' => 'web',
    'traefik.http.routers.a-http.middlewares' => 'tohttps',
    'traefik.http.middlewares.tohttps.redirectscheme.scheme' => 'https');

service('d', 'traefik.http.routers.d.rule' => 'Host(`d.test`)',
    'traefik.http.routers.d.tls.certresolver' => 'short');

# a swarm_acme nginx does not have: not routed, as it could not be served
# as its labels ask
service('u', 'traefik.http.routers.u.rule' => 'Host(`u.test`)',
    'traefik.http.routers.u.tls.certresolver' => 'nope');

$t->start_backends(map { "127.0.43.$_:$p" } 1 .. 3);
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

    swarm_acme le server=https://127.0.0.1:$acme/dir storage=$dir/acme
                  email=ops\@example.com trusted_certificate=$dir/ca.crt;
    swarm_acme short server=https://127.0.0.1:$short/dir
                     storage=$dir/acme-short trusted_certificate=$dir/ca.crt;

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
        location = /metrics { swarm_metrics; }
        location = /dash/ { swarm_dashboard; }
    }

    server {
        listen 127.0.0.1:$web;
        swarm_entrypoint web default;
$loc
    }

    server {
        listen 127.0.0.1:$secure ssl;
        ssl_certificate $dir/default.crt;
        ssl_certificate_key $dir/default.key;
        swarm_entrypoint websecure tls;
        swarm_tls;
$loc
    }
EOC
$t->start_nginx;

# the issuer and subject of the certificate a handshake with NAME gets

sub served {
    my ($name) = @_;
    my $cmd = "echo | openssl s_client -connect 127.0.0.1:$secure "
        . ($name ? "-servername $name " : '-noservername ')
        . "2>/dev/null | openssl x509 -noout -issuer -subject 2>/dev/null";
    my $out = `$cmd`;
    my ($issuer) = $out =~ /^issuer=.*?CN\s*=\s*(.*)$/m;
    my ($subject) = $out =~ /^subject=.*?CN\s*=\s*(.*)$/m;
    return ($issuer // '', $subject // '');
}

ok(wait_for(sub { (served('a.test'))[0] =~ /^Pebble Intermediate CA/ }, 30),
    'a.test is served a certificate of Pebble\'s CA')
    or diag($t->error_log);
is((served('a.test'))[1], 'a.test', 'whose subject is a.test');

my ($issuer, $subject) = served('nope.test');
is($subject, 'default.invalid', 'a name no route has: the server\'s own');
is((served(undef))[1], 'default.invalid', 'no name: the server\'s own');

my $out = `curl -s -D - -k --resolve a.test:$secure:127.0.0.1 https://a.test:$secure/`;
like($out, qr{^X-Route: a/a}mi, 'a.test routed over TLS');

$out = `curl -s -D - -o /dev/null http://127.0.0.1:$web/ -H 'Host: a.test'`;
like($out, qr{^Location: https://a\.test/}mi,
    'the plain router redirects to HTTPS (and the challenge was answered)');

# what swarm_status says

my $c = $t->status->{certificates};
is($c->{'a.test'}{state}, 'valid', 'status: a.test valid');
like($c->{'a.test'}{issuer}, qr/^Pebble Intermediate CA/, 'status: issuer');
ok($c->{'a.test'}{not_after} > time + 86400 * 300, 'status: not after');
ok($c->{'a.test'}{renew} < $c->{'a.test'}{not_after}
    && $c->{'a.test'}{renew} > time, 'status: renewal before expiry');
ok(!exists $c->{'a.test'}{cert} && !exists $c->{'a.test'}{key},
    'status: no chain, no key');
ok(!exists $c->{'u.test'}, 'an unknown swarm_acme: no certificate');
ok((grep { $_ eq 'u: router "u" not routed: no swarm_acme "nope" (its '
    . 'tls.certresolver)' } $t->route_errors('tk')), 'its router not routed, '
    . 'said');

# metrics: the seconds left, the state

my $m = $t->get('/metrics')->{body};
my ($left) = $m =~ /^nginx_swarm_certificate_expiry_seconds\{name="a\.test",resolver="le"\} (\d+)$/m;
ok($left && $left > 86400 * 300, 'metrics: a.test\'s seconds to expiry');
ok($m =~ /^nginx_swarm_certificate_state\{name="a\.test",resolver="le",state="valid"\} 1$/m,
    'metrics: a.test valid');
ok($m =~ /^nginx_swarm_certificate_state\{name="a\.test",resolver="le",state="failed"\} 0$/m,
    'metrics: a.test not failed');
SKIP: {
    skip 'no promtool', 1 unless `which promtool`;
    open my $mf, '>', "$dir/metrics.txt" or die;
    print $mf "$m\n";    # the trailing newline the client took
    close $mf;
    my $check = `promtool check metrics < $dir/metrics.txt 2>&1`;
    is($?, 0, 'promtool accepts the metrics') or diag $check;
}

# the dashboard, in a real browser: a row for each certificate

my $cdp = $t->browser("http://127.0.0.1:${\ $t->port}/dash/");
ok($cdp, 'chromium is up') or diag $t->read_file('chromium.out');

sub cert_rows {
    return $cdp->(q{eval JSON.stringify(Array.prototype.map.call(
        document.querySelectorAll('#certificates tbody tr'), function (tr) {
            return [tr.dataset.name, tr.dataset.state,
                    tr.cells[3].textContent, tr.cells[6].textContent]; }))})
        // '[]';
}

ok(wait_for(sub { cert_rows() =~ /\["a\.test","valid","Pebble Intermediate CA [^"]*",""\]/ }, 10),
    'dashboard: a.test valid, its issuer') or diag cert_rows();
like($cdp->(q{eval document.getElementById('error').textContent}),
    qr/router "u" not routed: no swarm_acme "nope"/,
    'dashboard: the router of an unknown swarm_acme, said');
$t->browser_close;

# renewal, once a third of the lifetime is left: a new certificate

sub serial {
    my ($name) = @_;
    my $out = `echo | openssl s_client -connect 127.0.0.1:$secure -servername $name 2>/dev/null | openssl x509 -noout -serial -subject 2>/dev/null`;
    return $out =~ /CN\s*=\s*\Q$name\E/ ? ($out =~ /^serial=(\w+)/m)[0] : '';
}

my $first;
ok(wait_for(sub { $first = serial('d.test') }, 30),
    'd.test served, from the second CA');
ok(wait_for(sub { my $s = serial('d.test'); $s && $s ne $first }, 40),
    'and renewed before it expires');

my @workers = $t->worker_pids;
my $master = $t->master_pid;

# a host added at run time, no reload

service('b', 'traefik.http.routers.b.rule' => 'Host(`b.test`)',
    'traefik.http.routers.b.tls.certresolver' => 'le');
$t->state({ services => \@services, tasks => \@tasks });

ok(wait_for(sub { (served('b.test'))[1] eq 'b.test' }, 30),
    'b.test, added at run time, gets its own');
is($t->master_pid, $master, 'with no new master');
is_deeply([ $t->worker_pids ], \@workers, 'nor new workers');

# a refused order (Pebble cannot connect to where c.test is): said,
# tried again with backoff, and done once it can be

sub challtest {
    my ($what, $json) = @_;
    system("curl -s -o /dev/null -X POST -d '$json' "
        . "http://127.0.0.1:$dns_mgmt/$what") == 0 or die "challtestsrv";
}

challtest('add-a', '{"host":"c.test","addresses":["127.0.0.2"]}');
service('c', 'traefik.http.routers.c.rule' => 'Host(`c.test`)',
    'traefik.http.routers.c.tls.certresolver' => 'le');
$t->state({ services => \@services, tasks => \@tasks });

ok(wait_for(sub { ($t->status->{certificates}{'c.test'}{state} // '')
    eq 'failed' }, 30), 'c.test: its order failed');
$c = $t->status->{certificates}{'c.test'};
like($c->{error}, qr/c\.test/, 'with the CA\'s error: ' . $c->{error});
ok($c->{next} > time && $c->{next} <= time + 10, 'tried again within 10 s');
is($c->{failures}, 1, 'one failure');
is((served('c.test'))[1], 'default.invalid', 'meanwhile, the server\'s own');

challtest('clear-a', '{"host":"c.test"}');
ok(wait_for(sub { (served('c.test'))[1] eq 'c.test' }, 60),
    'tried again: c.test gets its own');
is($t->status->{certificates}{'c.test'}{state}, 'valid', 'valid');

# a router whose names change: its certificate stays served for the
# names it was for while one for them all is ordered (the order fails:
# x.test is where Pebble cannot connect), and is taken again from the
# storage, with no order, once the names are back

my ($svc_b) = grep { $_->{Spec}{Name} eq 'b' } @services;
my $rule_b = \$svc_b->{Spec}{Labels}{'traefik.http.routers.b.rule'};
my $serial_b = serial('b.test');
challtest('add-a', '{"host":"x.test","addresses":["127.0.0.2"]}');
$$rule_b = 'Host(`b.test`) || Host(`x.test`)';
$t->state({ services => \@services, tasks => \@tasks });

ok(wait_for(sub { ($t->status->{certificates}{'b.test'}{state} // '')
    eq 'failed' }, 30), 'b.test and x.test: the order fails');
is(serial('b.test'), $serial_b, 'b.test still served its certificate');
is((served('x.test'))[1], 'default.invalid', 'x.test the server\'s own');
is_deeply($t->status->{certificates}{'b.test'}{served}, [ 'b.test' ],
    'status: served for b.test');

my $orders_b = orders();
$$rule_b = 'Host(`b.test`)';
$t->state({ services => \@services, tasks => \@tasks });
ok(wait_for(sub { ($t->status->{certificates}{'b.test'}{state} // '')
    eq 'valid' }, 10), 'b.test alone again: valid');
is(serial('b.test'), $serial_b, 'the same certificate');
is(orders(), $orders_b, 'with no order');
challtest('clear-a', '{"host":"x.test"}');

# a restart takes the certificates from the storage: no new order

sub orders { scalar(() = $t->read_file('pebble.out') =~ m{POST /order-plz}g) }

my $orders = orders();
my $serial = `echo | openssl s_client -connect 127.0.0.1:$secure -servername a.test 2>/dev/null | openssl x509 -noout -serial`;
$t->stop_nginx;
$t->start_nginx;

ok(wait_for(sub { (served('a.test'))[1] eq 'a.test' }, 10),
    'after a restart, a.test served at once');
is(`echo | openssl s_client -connect 127.0.0.1:$secure -servername a.test 2>/dev/null | openssl x509 -noout -serial`,
    $serial, 'the same certificate');
sleep 2;
is(orders(), $orders, 'and no order made');
like($t->error_log, qr/the stored certificate of "a\.test" is used/,
    'said in the log');

# Two nginx sharing one storage: the one that orders a certificate
# holds its lock, the other takes it from the storage; the challenge of
# an order of the second is answered by the first, which Pebble asks.

my $t2 = SwarmTest->new;
my ($web2, $secure2) = map { free_port() } 1 .. 2;
my (@services2, @tasks2);

$t2->start_api(services => [], tasks => []);
$t2->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    swarm_acme le server=https://127.0.0.1:$acme/dir storage=$dir/acme
                  trusted_certificate=$dir/ca.crt;

    upstream tk {
        swarm_routes traefik;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }

    server {
        listen 127.0.0.1:$web2;
$loc
    }

    server {
        listen 127.0.0.1:$secure2 ssl;
        ssl_certificate $dir/default.crt;
        ssl_certificate_key $dir/default.key;
        swarm_tls;
$loc
    }
EOC
$t2->start_nginx;

sub served_by {
    my ($port, $name) = @_;
    my $out = `echo | openssl s_client -connect 127.0.0.1:$port -servername $name 2>/dev/null | openssl x509 -noout -serial -subject 2>/dev/null`;
    return $out =~ /CN\s*=\s*\Q$name\E/ ? ($out =~ /^serial=(\w+)/m)[0] : '';
}

sub both {
    my ($name) = @_;
    for my $pair ([ \@services, \@tasks, $t ], [ \@services2, \@tasks2, $t2 ]) {
        my ($s, $k, $tt) = @$pair;
        traefik_service($s, $k, $name, $p, [ "10.0.43.9" ],
            "traefik.http.routers.$name.rule" => "Host(`$name.test`)",
            "traefik.http.routers.$name.tls.certresolver" => 'le');
        $tt->state({ services => $s, tasks => $k });
    }
}

$orders = orders();

sub answered { scalar(() = $t->error_log =~ /challenge "[^"]+" answered/g) }

my $answered = answered();

# e.test: the second nginx alone routes it, and orders it

traefik_service(\@services2, \@tasks2, 'e', $p, [ "10.0.43.9" ],
    'traefik.http.routers.e.rule' => 'Host(`e.test`)',
    'traefik.http.routers.e.tls.certresolver' => 'le');
$t2->state({ services => \@services2, tasks => \@tasks2 });

my $e;
ok(wait_for(sub { $e = served_by($secure2, 'e.test') }, 30),
    'the second nginx orders e.test');
ok(answered() > $answered,
    'its challenge answered by the first, from the storage');

traefik_service(\@services, \@tasks, 'e', $p, [ "10.0.43.9" ],
    'traefik.http.routers.e.rule' => 'Host(`e.test`)',
    'traefik.http.routers.e.tls.certresolver' => 'le');
$t->state({ services => \@services, tasks => \@tasks });

ok(wait_for(sub { served_by($secure, 'e.test') eq $e }, 10),
    'the first takes it from the storage: the same certificate');

# f.test: both at once, one order

both('f');
my ($f1, $f2);
ok(wait_for(sub { ($f1 = served_by($secure, 'f.test'))
                  && ($f2 = served_by($secure2, 'f.test')) }, 30),
    'f.test, routed by both at once, served by both');
is($f1, $f2, 'the same certificate');
is(orders(), $orders + 2, 'one order each for e.test and f.test');
ok(!-e "$dir/acme/locks/f.test", 'the lock is gone');

$t2->finish;
$t->done_testing;
