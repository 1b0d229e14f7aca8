#!/usr/bin/perl

# The keyed route cookie, "swarm_sticky value=hmac key_file=FILE": each
# task's value is HMAC-SHA256 of its address under the key, 16 bytes in
# base64url; two nginx with one key give and honour the same values;
# another key makes other values, and the old ones count as no cookie;
# an address as the cookie names nothing.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(encode_base64url);

my $t = SwarmTest->new;
my $t2 = SwarmTest->new;
my $p = free_port();

sub key_file {
    my ($file, $key) = @_;
    open my $fh, '>', $file or die "$file: $!";
    print $fh "$key\n";
    close $fh;
}

my ($k1, $k2) = ('key one, for the tests, 32 bytes', 'key two, for the tests, 32 bytes');
key_file($t->dir . '/route.key', $k1);
key_file($t2->dir . '/route.key', $k1);

# a key longer than SHA-256's block of 64 bytes is its digest in HMAC
my $klong = join '', map { chr(33 + $_ % 90) } 1 .. 100;
key_file($t->dir . '/long.key', $klong);
key_file($t2->dir . '/long.key', $klong);

sub keyed { encode_base64url(substr(hmac_sha256($_[0], $_[1]), 0, 16)) }

$t->start_api(tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } });
my @ips = map { "127.0.2.$_" } 3, 4, 9, 10;
$t->start_backends(map { "$_:$p" } @ips);

for my $x ($t, $t2) {
    $x->conf(<<"EOC", endpoint => 'unix:' . $t->socket_path);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky value=hmac key_file=route.key;
    }

    upstream long {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky value=hmac key_file=long.key;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /long { proxy_pass http://long; }
        location = /swarm { swarm_status; }
    }
EOC
    $x->start_nginx;
    ok(wait_for(sub { $x->peers('app') == 4 }, 5), 'four tasks');
}

# each task's value, as new visitors are given them

sub values_of {
    my ($x) = @_;
    my %v;
    for (1 .. 16) {
        my $r = $x->get('/');
        my ($ip) = $r->{body} =~ /^([\d.]+):/;
        my ($c) = ($r->{cookies}[0] // '') =~ /^route=([^;]*)/;
        $v{$ip}{$c // ''}++ if $ip;
    }
    return { map { $_ => join(',', sort keys %{ $v{$_} }) } keys %v };
}

my $r;
my $v = values_of($t);
is_deeply([sort keys %$v], [sort @ips], 'every task is given to new visitors');
is_deeply($v, { map { $_ => keyed($_, $k1) } @ips },
    'each value is HMAC-SHA256 of the address under the key, 22 characters');
is(scalar(keys %{ { reverse %$v } }), 4, 'the values differ from task to task');
ok(!grep({ $v->{$_} =~ /\Q$_\E|[.:]/ } keys %$v), 'no value shows an address');

$r = $t->get('/long');
my ($lip) = $r->{body} =~ /^([\d.]+):/;
my $lv = keyed($lip // '', $klong);
like($r->{cookies}[0] // '', qr/^route=\Q$lv\E;/,
    'a key of 100 bytes: its digest is the HMAC key, as RFC 2104 has it');

$r = $t->get('/', "Cookie: route=$v->{'127.0.2.9'}");
is_deeply([$r->{body}, $r->{cookies}], ["127.0.2.9:$p", []],
    'a returning visitor reaches its task, and keeps its cookie');

$r = $t->get('/', 'Cookie: route=127.0.2.9');
my ($ip) = $r->{body} =~ /^([\d.]+):/;
is_deeply($r->{cookies}, ["route=" . keyed($ip, $k1) . "; Path=/; HttpOnly; SameSite=Lax"],
    'an address as the cookie names no task: a keyed cookie is set');

# a second nginx with the same key: the same values, each other's cookies

is_deeply(values_of($t2), $v, 'a second nginx with the key gives the same values');

my $ok = 0;
for my $want (@ips) {
    $r = $t2->get('/', "Cookie: route=$v->{$want}");
    $ok++ if $r->{body} eq "$want:$p" && !@{ $r->{cookies} };
}
is($ok, 4, 'and honours the first one\'s cookies');

# new sets: the tasks that stay keep their values (taken from the last
# copy), the new ones get theirs

$t->state({ tasks => 'tasks-all.json' });
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two of the tasks left');
is_deeply(values_of($t), { map { $_ => keyed($_, $k1) } @ips[0, 1] },
    'the two left keep their values');
$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers('app') == 4 }, 5), 'and are back');
is_deeply(values_of($t), $v, 'each with its value');

# a new key: other values, and the old cookies count as none

key_file($t->dir . '/route.key', $k2);
ok($t->reload(replace => 1), 'reloaded with a new key');
is(values_of($t)->{'127.0.2.3'}, keyed('127.0.2.3', $k2),
    'the values are the new key\'s');

$r = $t->get("/", "Cookie: route=$v->{'127.0.2.4'}");
($ip) = $r->{body} =~ /^([\d.]+):/;
is_deeply($r->{cookies}, ["route=" . keyed($ip, $k2) . "; Path=/; HttpOnly; SameSite=Lax"],
    'a cookie of the old key names no task: a new one is set');
isnt(keyed('127.0.2.4', $k2), $v->{'127.0.2.4'}, 'the values changed with the key');

is_deeply(values_of($t2), $v, 'the other nginx keeps its key\'s values');

$t2->finish;
$t->done_testing;
