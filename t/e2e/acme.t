#!/usr/bin/perl

# End to end on a real swarm: automatic HTTPS.  t/e2e/acme-stack.yml
# deploys a service labelled as Traefik stacks label theirs for Let's
# Encrypt (tls.certresolver, and an HTTP to HTTPS redirect), the load
# balancer of docker/nginx-traefik.conf with "swarm_acme" and
# "swarm_tls" added, and Pebble as the CA, validating HTTP-01 over the
# stack's network.  The certificate is ordered with no reload, served
# by SNI and verified up to Pebble's root; a restarted load balancer
# takes it from its storage volume and orders nothing.

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
my $stack = 'swarmacme';
my ($lb, $tls, $status_port, $mgmt) = map { free_port() } 1 .. 4;
my $dir = tempdir('swarm-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $image = $ENV{SWARM_IMAGE} || 'ngx-http-swarm:local';
my $host = 'app.acme.test';

my $pebble = `which pebble`;
chomp $pebble;
$pebble or BAIL_OUT('pebble is needed (make test installs it)');

system("$top/docker/demo.sh", 'setup') == 0
    or BAIL_OUT('set-up failed: no Docker engine, swarm or image');

sub down {
    system("docker stack rm $stack >/dev/null 2>&1");
    wait_for(sub { system("docker network inspect ${stack}_acme-net "
        . '>/dev/null 2>&1') != 0 }, 60);
    wait_for(sub { system("docker volume rm ${stack}_acme-storage "
        . '>/dev/null 2>&1') == 0 || system("docker volume inspect "
        . "${stack}_acme-storage >/dev/null 2>&1") != 0 }, 30);
}

END {
    local $?;
    down();
}

# Pebble's certificate for its API, named as the stack's network names
# it, from a CA of the test's that the load balancer is told to trust

system("cd $dir && openssl req -x509 -newkey ec -pkeyopt "
    . "ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 "
    . "-subj /CN=acme-e2e-ca >/dev/null 2>&1 && openssl req -newkey ec "
    . "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pebble.key "
    . "-out pebble.csr -subj /CN=pebble >/dev/null 2>&1 && printf "
    . "'subjectAltName=DNS:pebble\\n' > san && openssl x509 -req "
    . "-in pebble.csr -CA ca.crt -CAkey ca.key -CAcreateserial "
    . "-out pebble.crt -days 2 -extfile san >/dev/null 2>&1 && "
    . "chmod 644 pebble.key") == 0
    or BAIL_OUT('openssl could not make the certificates');
chmod 0755, $dir;

open my $fh, '>', "$dir/pebble.json" or die $!;
print $fh <<'EOJ';
{ "pebble": {
    "listenAddress": "0.0.0.0:14000",
    "managementListenAddress": "0.0.0.0:15000",
    "certificate": "/acme/pebble.crt",
    "privateKey": "/acme/pebble.key",
    "httpPort": 80,
    "tlsPort": 443,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false } }
EOJ
close $fh;

# the shipped configuration, with a certificate resolver named as the
# labels name it and the TLS entrypoint serving its certificates

open my $in, '<', "$top/docker/nginx-traefik.conf" or die $!;
my $conf = do { local $/; <$in> };
close $in;
$conf =~ s{(    swarm_endpoint [^\n]*\n)}
          {$1\n    swarm_acme pebble server=https://pebble:14000/dir
                      storage=/var/lib/swarm-acme
                      trusted_certificate=/acme/ca.crt;\n}
    or die 'no swarm_endpoint in docker/nginx-traefik.conf';
$conf =~ s{(        swarm_entrypoint websecure tls;\n)}
          {$1        swarm_tls;\n}
    or die 'no websecure entrypoint in docker/nginx-traefik.conf';
open my $out, '>', "$dir/nginx.conf" or die $!;
print $out $conf;
close $out;

down();
my $sum = substr(`sha256sum $dir/nginx.conf`, 0, 12);
local $ENV{SWARM_IMAGE} = $image;
local $ENV{LB_PORT} = $lb;
local $ENV{LB_TLS_PORT} = $tls;
local $ENV{STATUS_PORT} = $status_port;
local $ENV{PEBBLE_MGMT_PORT} = $mgmt;
local $ENV{PEBBLE_BIN} = $pebble;
local $ENV{ACME_DIR} = $dir;
local $ENV{LB_CONF} = "$dir/nginx.conf";
local $ENV{LB_CONF_NAME} = "${stack}_lb_$sum";
my $t0 = time;
is(system("docker stack deploy --resolve-image never "
    . "-c $top/t/e2e/acme-stack.yml $stack >$dir/deploy.log 2>&1"), 0,
    'docker stack deploy') or diag `cat $dir/deploy.log`;

sub status {
    my $r = SwarmTest::http_get($status_port, '/swarm');
    return $r->{status} == 200 ? decode_json($r->{body}) : undef;
}

sub cert {
    my $s = status() or return {};
    return $s->{certificates}{$host} || {};
}

ok(wait_for(sub { my $s = status() or return;
        my ($r) = grep { $_->{service} eq "${stack}_app" }
            @{ $s->{upstreams}{traefik}{routes} || [] };
        $r && $r->{active} == 2 }, 240),
    'the app\'s two tasks, routed by their labels')
    or diag explain status();

ok(wait_for(sub { (cert()->{state} // '') eq 'valid' }, 120),
    "$host: a certificate from Pebble") or diag explain status();
say_diag sprintf '%s valid %.1f s after docker stack deploy', $host,
    time - $t0;
like(cert()->{issuer} // '', qr/^Pebble Intermediate CA/, 'its issuer');

# verified up to Pebble's root, which its management API gives

my $root = `curl -sk --max-time 10 https://127.0.0.1:$mgmt/roots/0`;
like($root, qr/BEGIN CERTIFICATE/, 'Pebble\'s root') or diag $root;
open $fh, '>', "$dir/root.pem" or die $!;
print $fh $root;
close $fh;

sub get_tls {
    my ($name) = @_;
    my $cmd = "curl -s --max-time 10 --cacert $dir/root.pem "
        . "--resolve $name:$tls:127.0.0.1 https://$name:$tls/";
    my $body = `$cmd 2>&1`;
    return ($? >> 8, $body);
}

my ($rc, $body) = get_tls($host);
is($rc, 0, "https://$host/ verified with Pebble's root") or diag $body;
my %ip = map { (SwarmE2E::task_addr($_) => 1) }
    SwarmE2E::tasks_running("${stack}_app");
my (undef, $addr) = split ' ', $body // '';
ok($addr && $ip{$addr}, 'answered by a task of the app') or diag $body;

sub served {
    my ($name) = @_;
    my $sni = defined $name ? "-servername $name" : '-noservername';
    my $cmd = "openssl s_client -connect 127.0.0.1:$tls $sni </dev/null "
        . "2>/dev/null | openssl x509 -noout -issuer -subject -serial";
    return `$cmd 2>/dev/null`;
}

my $first = served($host);
like($first, qr/issuer=.*Pebble Intermediate CA/, 'openssl s_client: '
    . 'Pebble\'s certificate for its name');
like(served('other.acme.test'), qr/subject=CN ?= ?ngx-http-swarm/,
    'another name: the image\'s own certificate');
like(served(undef), qr/subject=CN ?= ?ngx-http-swarm/,
    'no name: the image\'s own certificate');

# plain HTTP: the redirect router, and the challenge Pebble asked there

my $r = SwarmTest::http_get($lb, '/x', "Host: $host");
is($r->{status}, 302, 'port 80: redirected');
is($r->{header}{location}, "https://$host/x", 'to https');

# what the containers of a service wrote, the stopped ones too

sub logs {
    my ($service) = @_;
    return join '', map { `docker logs $_ 2>&1` } split ' ',
        `docker ps -aq --filter label=com.docker.swarm.service.name=$service`;
}

sub orders {
    my $log = logs("${stack}_pebble");
    return scalar(() = $log =~ m{POST /order-plz}g);
}

is(orders(), 1, 'Pebble made one order');

# a new load balancer container, the same storage volume: the stored
# certificate, no order

my ($serial) = $first =~ /serial=(\w+)/;
is(system("docker service update -q --force ${stack}_lb >$dir/update.log "
    . "2>&1"), 0, 'docker service update --force: a new load balancer')
    or diag `cat $dir/update.log`;
ok(wait_for(sub { (cert()->{state} // '') eq 'valid'
        && served($host) =~ /serial=\Q$serial\E/ }, 60),
    'the new one serves the same certificate');
is(orders(), 1, 'and Pebble made no new order');

my $logs = logs("${stack}_lb");
is(scalar(() = $logs =~ /the stored certificate of "\Q$host\E" is used/g),
    1, 'the new one took it from the storage');
unlike($logs, qr/\[(alert|emerg)\]|exited on signal/,
    'no alert, emerg or crashed worker in the load balancer\'s log')
    or diag join "\n", grep { /\[(alert|emerg)\]|exited on signal/ }
        split /\n/, $logs;

done_testing;
