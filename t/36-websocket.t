#!/usr/bin/perl

# WebSockets through the proxy settings the project ships (the map of
# $http_upgrade and the location of docker/nginx.conf, the same in
# docker/nginx-traefik.conf and the README's quick start): a WebSocket
# opened with a route cookie reaches that cookie's task and stays open
# on it through 20 changes of the routes and a rolling update of
# another service; after a reload it still answers, and a new one with
# the cookie reaches the same task.

use strict;
use warnings;
use Test::More;
use IO::Select;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $top = "$FindBin::Bin/..";

# what a shipped configuration says: the map, and the proxy_* lines of
# its first "location /"

sub shipped {
    my ($file) = @_;
    open my $fh, '<', "$top/$file" or die "$file: $!";
    my $text = do { local $/; <$fh> };
    my ($map) = $text
        =~ /^(\s*map \$http_upgrade \$connection_upgrade \{.*?\})/ms;
    my ($loc) = $text =~ /location \/ \{(.*?)\}/s;
    my @proxy = ($loc // '')
        =~ /^\s*(proxy_(?:http_version|set_header) [^;]*;)/mg;
    $map =~ s/^\s+//mg if defined $map;
    return ($map, @proxy);
}

my ($map, @proxy) = shipped('docker/nginx.conf');
ok(defined $map,
    'docker/nginx.conf maps $http_upgrade to $connection_upgrade');
ok((grep { /^proxy_set_header Upgrade \$http_upgrade;$/ } @proxy)
    && (grep { /^proxy_set_header Connection \$connection_upgrade;$/ }
        @proxy),
    'and passes Upgrade and Connection on');
is_deeply([shipped('docker/nginx-traefik.conf')], [$map, @proxy],
    'docker/nginx-traefik.conf the same');

{
    open my $fh, '<', "$top/README.md" or die $!;
    my $readme = do { local $/; <$fh> };
    my ($quick) = $readme =~ /## Quick start\n(.*?)\n## /s;
    like($quick, qr/map \$http_upgrade \$connection_upgrade/,
        'the quick start maps $http_upgrade too');
    like($quick, qr/proxy_set_header Connection \$connection_upgrade;/,
        'and passes Connection on');
}

my $t = SwarmTest->new;
my $p = free_port();

my $n = 0;

# a service named $name with the labels given and a task at each address

sub service {
    my ($name, $labels, @ips) = @_;
    my $s = fake_service(++$n, $name, $labels);
    my $k = 0;
    my @t = map {
        my $tk = fake_task($s, sprintf 'tsk%019d%03d', $n, ++$k);
        $tk->{Slot} = $k;
        $tk->{NetworksAttachments}[0]{Addresses} = [ "$_/24" ];
        $tk
    } @ips;
    return ($s, @t);
}

my %native = ('swarm.enable' => 'true', 'swarm.port' => "$p");

my ($web, @web) = service('web', { %native, 'swarm.http.path' => '/',
    'swarm.sticky' => 'true' }, '10.0.36.1', '10.0.36.2');
my ($other, @other) = service('other', { %native,
    'swarm.http.host' => 'other.example.com' }, '10.0.36.3', '10.0.36.4');

sub state_of {
    my (@extra) = @_;
    return (services => [ $web, $other, grep { !$_->{ServiceID} } @extra ],
            tasks => [ @web, @other, grep { $_->{ServiceID} } @extra ]);
}

$t->start_api(state_of());
$t->start_backends(map { "127.0.36.$_:$p" } 1 .. 9);

my $proxy = join "\n", map { "            $_" } @proxy;

$t->conf(<<"EOF", workers => 2);
    $map

    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream swarm {
        swarm_routes label=swarm.enable=true;
        swarm_sticky httponly samesite=lax;
    }

    server {
        listen 127.0.0.1:%%PORT%%;

        location / {
            swarm_route;
            proxy_pass http://swarm;
$proxy
        }

        location = /swarm { swarm_status; }
    }
EOF

$t->start_nginx;

sub generation { ($t->status // {})->{upstreams}{swarm}{generation} // 0 }

ok(wait_for(sub { $t->peers('swarm') == 4 }, 10), 'four tasks routed');

my $r = $t->get('/');
my ($cookie) = map { /^(route_web=[^;]+)/ ? $1 : () } @{ $r->{cookies} };
ok($cookie, 'a route cookie: ' . ($cookie // 'none'));
(my $task = $r->{body} // '') =~ s/\s+$//;

# a WebSocket, by hand (RFC 6455): the handshake, with the cookie

sub ws_open {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
        Timeout => 5) or return;
    print $s "GET /chat HTTP/1.1\r\nHost: localhost\r\n"
        . "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        . "Sec-WebSocket-Version: 13\r\nCookie: $cookie\r\n\r\n";
    my $head = '';
    my $sel = IO::Select->new($s);
    while ($head !~ /\r\n\r\n/) {
        return ($s, $head) unless $sel->can_read(5);
        sysread($s, $head, 1, length $head) or return ($s, $head);
    }
    return ($s, $head);
}

# a text message sent, and the answer: its task's address, ": ", it

sub ws_say {
    my ($s, $msg) = @_;
    my $mask = 'abcd';
    my $masked = $msg ^ substr($mask x (length($msg) / 4 + 1), 0,
                                length $msg);
    syswrite($s, pack('CC', 0x81, 0x80 | length $msg) . $mask . $masked)
        or return '';
    my $sel = IO::Select->new($s);
    my $buf = '';
    while (length $buf < 2
           || length $buf < 2 + (unpack('xC', $buf) & 0x7f))
    {
        return '' unless $sel->can_read(5);
        sysread($s, $buf, 256, length $buf) or return '';
    }
    return substr($buf, 2, unpack('xC', $buf) & 0x7f);
}

my ($ws, $head) = ws_open();
like($head // '', qr{^HTTP/1\.1 101 }, 'the WebSocket is switched (101)');
like($head // '',
    qr/^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r$/m,
    'with the accept of its key');
is(ws_say($ws, 'hello'), "$task: hello", "its messages reach $task");

# 20 changes of the routes: a service comes and goes

my ($changes, $kept) = (0, 0);
for my $i (1 .. 20) {
    my $g = generation();
    $t->state({ state_of($i % 2
        ? service("extra$i", { %native,
              'swarm.http.host' => "extra$i.example.com" }, '10.0.36.9')
        : ()) });
    $changes++ if wait_for(sub { generation() > $g }, 10);
    $kept++ if ws_say($ws, "change $i") eq "$task: change $i";
}
is($changes, 20, '20 changes of the routes published');
is($kept, 20, 'the WebSocket answered on its task after each');

# a rolling update of the other service: its tasks replaced one by one

my $rolled = 0;
for my $j (0 .. 1) {
    my $g = generation();
    my $k = { %{ $other[$j] } };
    $k->{ID} = sprintf 'upd%022d', $j;
    $k->{NetworksAttachments} = [ { %{ $other[$j]{NetworksAttachments}[0] },
        Addresses => [ '10.0.36.' . (5 + $j) . '/24' ] } ];
    $other[$j] = $k;
    $t->state({ state_of() });
    $rolled++ if wait_for(sub { generation() > $g }, 10)
        && ws_say($ws, "update $j") eq "$task: update $j";
}
is($rolled, 2, 'and through a rolling update of another service');

# a reload: the WebSocket stays with its old worker, and a new one with
# the cookie reaches the same task

my %old = map { $_ => 1 } $t->worker_pids;
$t->reload;
ok(wait_for(sub { grep { !$old{$_} } $t->worker_pids }, 10),
    'new workers after a reload');
sleep 0.5;

is(ws_say($ws, 'after'), "$task: after", 'the WebSocket still answers');

my ($ws2, $head2) = ws_open();
like($head2 // '', qr{^HTTP/1\.1 101 }, 'a new WebSocket after the reload');
is(ws_say($ws2, 'again'), "$task: again", "on the same task, $task");

close $ws;
close $ws2;

$t->done_testing;
