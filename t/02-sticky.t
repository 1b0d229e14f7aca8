#!/usr/bin/perl

# The route cookie: a new visitor gets one naming the task that answered,
# a returning one stays on that task with no new cookie, and any value
# that names no current task (malformed, duplicated, an address that is
# not a task) is treated as no cookie.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p", "127.0.0.1:$p");

$t->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
    }
    upstream attrs {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky cookie=srv path=/shop domain=.example.com max_age=1h
                     secure httponly samesite=lax;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /shop { proxy_pass http://attrs; }
        location = /swarm { swarm_status; }
    }
EOF

$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 }, 5), 'two tasks');

# new visitors

my (%seen, $first);
for (1 .. 6) {
    my $r = $t->get('/');
    is($r->{status}, 200, "new visitor $_: 200") if $_ == 1;
    $first //= $r;
    $seen{$r->{body}}++;
    my ($c) = @{ $r->{cookies} };
    my ($ip) = $r->{body} =~ /^([\d.]+):/;
    is($c, "route=$ip; Path=/; HttpOnly; SameSite=Lax", "new visitor $_: cookie names the task");
}
is(scalar keys %seen, 2, 'new visitors spread over both tasks');

my $r = $t->get('/shop');
my ($ip) = $r->{body} =~ /^([\d.]+):/;
is_deeply($r->{cookies},
    ["srv=$ip; Path=/shop; Domain=.example.com; Max-Age=3600; Secure; "
    . "HttpOnly; SameSite=Lax"], 'cookie attributes');

# returning visitors

for my $task ('127.0.2.3', '127.0.2.4') {
    my (%where, $cookies);
    for (1 .. 20) {
        my $r = $t->get('/', "Cookie: route=$task");
        $where{$r->{body}}++;
        $cookies += @{ $r->{cookies} };
    }
    is_deeply([keys %where], ["$task:$p"], "cookie $task: 20 requests stay");
    is($cookies, 0, "cookie $task: no Set-Cookie");
}

$r = $t->get('/', 'Cookie: a=b; route=127.0.2.4; c=d');
is($r->{body}, "127.0.2.4:$p", 'cookie among others');
$r = $t->get('/', 'Cookie: a=b', 'Cookie: route=127.0.2.4');
is($r->{body}, "127.0.2.4:$p", 'cookie in a second Cookie header');
$r = $t->get('/shop', 'Cookie: route=127.0.2.4; srv=127.0.2.3');
is($r->{body}, "127.0.2.3:$p", 'the configured cookie name');

# values that name no task

my @bad = (
    ['route=', 'empty'],
    ['route=127.0.0.1', 'the address of a non-task that answers'],
    ['route=127.0.2.99', 'an unknown address'],
    ["route=127.0.2.3:$p", 'IP:port'],
    ['route=127.000.002.003', 'another spelling'],
    ['route=0x7f.0.2.3', 'hex spelling'],
    ['route=2130706947', 'decimal spelling'],
    ['route=::ffff:127.0.2.3', 'IPv6-mapped'],
    ['route=127.0.2.3 x', 'trailing garbage'],
    ['route="127.0.2.3"', 'quoted'],
    ['route=' . ('1' x 4000), 'oversized'],
    ['route=127.0.2.3; route=127.0.2.4', 'duplicated'],
    ['route=127.0.2.4; route=127.0.2.4', 'duplicated, same value'],
);

for my $b (@bad) {
    my ($cookie, $what) = @$b;
    my $r = $t->get('/', "Cookie: $cookie");
    is($r->{status}, 200, "$what: 200");
    like($r->{body}, qr/^127\.0\.2\.[34]:$p$/, "$what: a task answers");
    my ($c) = @{ $r->{cookies} };
    my ($ip) = $r->{body} =~ /^([\d.]+):/;
    is($c, "route=$ip; Path=/; HttpOnly; SameSite=Lax", "$what: treated as no cookie");
}

$r = $t->get('/', 'Cookie: route=127.0.2.3', 'Cookie: route=127.0.2.4');
is(scalar @{ $r->{cookies} }, 1, 'duplicated over two headers: new cookie');

is_deeply([sort keys %{ $t->upstream_addrs }],
    ["127.0.2.3:$p", "127.0.2.4:$p"],
    'no request reached an address that is not a task');

# keepalive after swarm_service wraps the balancer: still sticky

$t->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
        keepalive 8;
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://app;
        }
        location = /swarm { swarm_status; }
    }
EOC
$t->reload;
ok(wait_for(sub { my $r = $t->get('/'); $r->{status} == 200
    && @{ $r->{cookies} } }, 5), 'with keepalive: a new visitor gets a cookie');
my %ka;
$ka{ $t->get('/', 'Cookie: route=127.0.2.4')->{body} }++ for 1 .. 10;
is_deeply([keys %ka], ["127.0.2.4:$p"], 'with keepalive: sticky');

$t->done_testing;
