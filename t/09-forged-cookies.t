#!/usr/bin/perl

# Forged route cookies, hand-written and generated: other spellings of a
# task's address, addresses that are no task (the proxy's own among
# them), ports, IPv6, control characters, several cookies, 64 KB values.
# Only live tasks are ever reached, no response header is injected, and
# no request fails.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');

# the proxy's own address answers too: a request must never go there

$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p", "127.0.0.1:$p");

# 64 KB cookies reach the module; the backends need not see them
$t->conf_app($p, 'swarm_interval 1s; large_client_header_buffers 4 128k; '
    . 'proxy_set_header Cookie "";');
$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

my @tasks = ('127.0.2.3', '127.0.2.4');
my @cookies;

for my $ip (@tasks, '127.0.0.1', '127.0.2.5', '10.0.2.3') {
    my @o = split /\./, $ip;
    my $n = ($o[0] << 24) + ($o[1] << 16) + ($o[2] << 8) + $o[3];
    push @cookies,
        "$ip:$p", "$ip:80", "$ip:", "[$ip]", " $ip", "$ip.", ".$ip",
        join('.', map { sprintf '%03d', $_ } @o),
        join('.', map { sprintf '0%o', $_ } @o),
        join('.', map { sprintf '0x%x', $_ } @o),
        join('.', map { sprintf '0x%02X', $_ } @o),
        "$n", sprintf('0x%08x', $n), sprintf('0%o', $n),
        "$o[0].$o[1]." . (($o[2] << 8) + $o[3]),
        "$o[0]." . (($o[1] << 16) + ($o[2] << 8) + $o[3]),
        "::ffff:$ip", "::$ip", sprintf('::ffff:%x:%x', $n >> 16, $n & 0xffff),
        "$ip\t", "$ip\\r\\n", "$ip%0d%0aX-Injected: 1", "$ip\x0b", "$ip/24",
        "$ip;", "$ip,$ip", "\"$ip\"", "'$ip'", uc("$ip"), "$ip ",
        "${ip}0", "1$ip";
}

push @cookies, '127.0.0.1', '127.0.2.5', '0.0.0.0', '255.255.255.255',
    '::1', '::', '[::1]', 'fd00::1', 'localhost', 'null', 'undefined',
    '-1', '0', '%00', '127.0.2.3%00', '..', ':', '::::', '1' x 45, '1' x 46,
    'f' x 45, ('9' x 1000), ('a' x 65536), ('127.0.2.3' x 7000),
    "\x80\xff", "127.0.2.\xb3", 'route', 'route=127.0.2.3';

my @headers = map { ["Cookie: route=$_"] } @cookies;

# several cookies, several headers, and injection through the header

push @headers,
    ['Cookie: route=127.0.2.3; route=127.0.2.4'],
    ['Cookie: route=127.0.2.3;route=127.0.2.3'],
    ['Cookie: route=127.0.2.3', 'Cookie: route=127.0.2.4'],
    ['Cookie: route=127.0.2.3', 'Cookie: route=127.0.2.3'],
    ['Cookie: route=127.0.2.9; route=127.0.2.3'],
    ['Cookie: route=127.0.2.3', 'X-Injected: 1'],
    ['Cookie: route=127.0.0.1', 'Cookie: a=b'],
    ['Cookie: ROUTE=127.0.2.3'],
    ['Cookie: route =127.0.2.3; route= 127.0.2.4'],
    ['Cookie: ' . join('; ', map { "route=$_" } 1 .. 200)],
    ['Cookie: ' . join('; ', map { "c$_=$_" } 1 .. 2000)
        . '; route=127.0.2.5'];

diag scalar(@headers) . ' forged cookies';

my ($bad, $injected, $stray, $fivexx) = (0, 0, 0, 0);
for my $h (@headers) {
    my $r = $t->get('/', @$h);
    my $what = substr(join(' | ', @$h), 0, 60);
    $fivexx++, diag "5xx for $what" if $r->{status} >= 500;
    if ($r->{status} != 200 || $r->{body} !~ /^127\.0\.2\.[34]:$p$/) {
        $bad++;
        diag "$what: $r->{status} $r->{body}";
    }
    for my $hdr (@{ $r->{headers} }) {
        $injected++, diag "$what: injected $hdr->[0]"
            if lc $hdr->[0] eq 'x-injected';
    }
    for my $c (@{ $r->{cookies} }) {
        $stray++, diag "$what: Set-Cookie $c"
            unless $c =~ /^route=127\.0\.2\.[34]; Path=\/; HttpOnly; SameSite=Lax$/;
    }
    $stray++ if @{ $r->{cookies} } > 1;
}

my $proxied = () = $t->read_file('access.log')
    =~ /" 200 upstream="127\.0\.2\.[34]:$p"/g;
cmp_ok($proxied, '>=', scalar @headers, 'each went to a task and back');
is($fivexx, 0, 'no 5xx');
is($bad, 0, 'every forged cookie is answered by a live task');
is($injected, 0, 'no header injected into a response');
is($stray, 0, 'at most one Set-Cookie, always naming a live task');
is_deeply([sort keys %{ $t->upstream_addrs }],
    ["127.0.2.3:$p", "127.0.2.4:$p"],
    'no request reached an address that is not a task');

$t->done_testing;
