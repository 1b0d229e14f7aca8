#!/usr/bin/perl

# Discovery: services selected by label or exact name, port and network
# from the directive or from service labels, ingress left out, a service
# on two networks skipped with an error that names it.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-mixed.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 14);

$t->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
    }
    upstream app_labels {
        swarm_service label=swarm.upstream=app;
    }
    upstream api_ambiguous {
        swarm_service name=mystack_api port=$p;
    }
    upstream api_net {
        swarm_service name=mystack_api network=mystack_net port=$p;
    }
    upstream api_backend {
        swarm_service label=swarm.upstream=api network=mystack_backend;
    }
    upstream prefix {
        swarm_service name=mystack_ap port=$p;
    }
    upstream pub {
        swarm_service name=pub port=$p;
    }
    upstream worker {
        swarm_service name=mystack_worker port=$p;
    }
    upstream two {
        swarm_service name=pub port=$p;
        swarm_service label=swarm.upstream=app port=$p;
    }
    upstream noport {
        swarm_service name=pub;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /two { proxy_pass http://two; }
        location = /swarm { swarm_status; }
    }
EOF

$t->start_nginx;

ok(wait_for(sub { $t->peers('app') == 1 }, 5), 'tasks discovered');

is_deeply([$t->peers('app')], ["127.0.2.3:$p active"],
    'label selector, port from the directive, only running tasks');
is_deeply([$t->peers('app_labels')], ['127.0.2.3:8080 active'],
    'port from the swarm.port service label');
is_deeply([$t->peers('api_net')],
    ["127.0.2.11:$p active", "127.0.2.12:$p active"],
    'exact name, network from the directive');
is_deeply([$t->peers('api_backend')],
    ['127.0.1.8:9000 active', '127.0.1.9:9000 active'],
    'network chosen by name, port from the service label');
is_deeply([$t->peers('api_ambiguous')], [],
    'a service on two networks without network= is skipped');
like($t->status->{upstreams}{api_ambiguous}{last_error},
    qr/service "mystack_api": tasks are attached to several networks/,
    'status says why');
like($t->error_log,
    qr/swarm: upstream "api_ambiguous": service "mystack_api": tasks are attached to several networks \(mystack_\w+, mystack_\w+\)/,
    'error log names the upstream and the service');
is_deeply([$t->peers('prefix')], [],
    'name= is an exact name, not a prefix');
is_deeply([$t->peers('pub')], ["127.0.2.14:$p active"],
    'ingress is not a network to choose');
my ($w) = grep { $_->{service} eq 'mystack_worker' }
    @{ $t->status->{upstreams}{worker}{peers} };
is($w && $w->{address}, "127.0.1.3:$p", 'global service task');
is($w && $w->{slot}, 0, 'global service task has no slot');
is_deeply([sort $t->peers('two')],
    ["127.0.2.14:$p active", "127.0.2.3:$p active"],
    'two selectors in one upstream');
is_deeply([$t->peers('noport')], [], 'no port, no peers');
like($t->status->{upstreams}{noport}{last_error},
    qr/service "pub": no port: set port= or the service label swarm.port/,
    'no port: status says why');

my %seen;
for (1 .. 10) {
    my $r = $t->get('/two');
    $seen{$r->{body}}++ if $r->{status} == 200;
}
is_deeply([sort keys %seen], ["127.0.2.14:$p", "127.0.2.3:$p"],
    'round robin reaches every task');
is($seen{"127.0.2.3:$p"}, 5, 'round robin is even');
is(scalar(grep { lc $_->[0] eq 'set-cookie' } @{ $t->get('/two')->{headers} }),
    0, 'no swarm_sticky, no cookie');

# the status document

my $s = $t->status;
is($s->{endpoint}, 'unix:' . $t->socket_path, 'status: endpoint');
is($s->{api_version}, '1.41', 'status: negotiated API version');
my ($peer) = @{ $s->{upstreams}{app}{peers} };
is_deeply($peer, { address => "127.0.2.3:$p", state => 'active',
    task => 'sh3x9bflb7obb5upaj2t86vcg', service => 'mystack_app',
    slot => 1, node => 'ubaomy8139q0m34xo1t6wwt0q',
    since => 1795630436, fails => 0 }, 'status: a peer, since Docker\'s '
    . '"2026-11-25T18:13:56.538989262Z"');
ok($s->{upstreams}{app}{generation} >= 1, 'status: generation');
ok(abs($s->{upstreams}{app}{last_sync} - time) < 5, 'status: last sync');
is($s->{upstreams}{app}{last_error}, undef, 'status: no error');

# what a sync reads: at least the whole /tasks answer, and not much more

my ($tasks_path) = $t->api_log =~ m{.* GET (/v1\.41/tasks\S+)}s;
my $tasks_len = length `curl -s --unix-socket ${\ $t->socket_path } 'http://localhost$tasks_path'`;
cmp_ok($tasks_len, '>', 1000, "a /tasks answer: $tasks_len bytes");
cmp_ok($s->{sync_bytes}, '>=', $tasks_len, 'status: bytes read by a sync');
cmp_ok($s->{sync_bytes}, '<', 3 * $tasks_len, 'status: no more than needed');
cmp_ok($s->{sync_ms}, '<', 1000, 'status: time a sync took');
cmp_ok($s->{sync_longest_step_us}, '>', 0,
    'status: the longest step of a sync');
cmp_ok($s->{sync_longest_step_us}, '<=', $s->{sync_ms} * 1000 + 1000,
    'status: a step is part of the sync');
cmp_ok($s->{zone_used}, '>', 0, 'status: swarm_zone in use');
cmp_ok($s->{zone_used}, '<', $s->{zone_size}, 'status: swarm_zone size');
is($s->{upstreams}{app}{active}, 1, 'status: active peers counted');
is($s->{upstreams}{app}{draining}, 0, 'status: draining peers counted');
cmp_ok($s->{upstreams}{app}{view_build_us}, '>', 0,
    "status: a worker's copy of the set timed");

my $brief = $t->status('?peers=off');
ok(!exists $brief->{upstreams}{app}{peers}, 'status ?peers=off: no list');
is($brief->{upstreams}{app}{active}, 1, 'status ?peers=off: the counts');

# the queries: one /services per selector, one /tasks per sync

my @log = split /\n/, $t->api_log;
ok((grep { m{ GET /v1\.41/services\?filters=.*label.*swarm\.upstream%3Dapp} }
    @log), 'services filtered by label');
ok((grep { m{ GET /v1\.41/services\?filters=.*name.*mystack_api} } @log),
    'services filtered by name');
ok((grep { m{ GET /v1\.41/tasks\?filters=.*service} } @log),
    'tasks filtered by service');
my ($ids) = $t->api_log =~ m{.*/tasks\?filters=(\S+)}s;
$ids =~ s/%([0-9A-F]{2})/chr hex $1/ge;
my @ids = @{ JSON::PP::decode_json($ids)->{service} };
my %once = map { $_ => 1 } @ids;
is(scalar @ids, scalar keys %once,
    'each service asked for once, though several upstreams select it');
is(scalar @ids, 4, 'the four services selected');

$t->done_testing;
