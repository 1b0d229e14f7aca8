#!/usr/bin/perl

# A task that refuses the connection: the request is retried on another
# active task and the cookie is re-bound to the task that answered; the
# failed task is left alone for fail_timeout (10s, max_fails=1).  No
# peers at all: 502 and an error naming the upstream.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');

# task 127.0.2.3 has nothing listening: connections are refused

$t->start_backends("127.0.2.4:$p");

$t->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
    }
    upstream empty {
        swarm_service name=zero port=$p;
        swarm_sticky;
    }
    upstream dead {
        swarm_service name=mystack_api network=mystack_net port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /empty { proxy_pass http://empty; }
        location /dead { proxy_pass http://dead; }
        location = /swarm { swarm_status; }
    }
EOF

$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 && $t->peers('dead') == 2 }, 5),
    'tasks discovered');

my $r = $t->get('/', 'Cookie: route=127.0.2.3');
is($r->{status}, 200, 'cookie names a refusing task: 200');
is($r->{body}, "127.0.2.4:$p", 'retried on the other task');
is_deeply($r->{cookies}, ['route=127.0.2.4; Path=/; HttpOnly; SameSite=Lax'],
    'cookie re-bound to the task that answered');
like($t->read_file('access.log'),
    qr/upstream="127\.0\.2\.3:$p, 127\.0\.2\.4:$p"/,
    'the refusing task was tried first');

my $fails = 0;
for (1 .. 10) {
    my $r = $t->get('/');
    $fails++ unless $r->{status} == 200 && $r->{body} eq "127.0.2.4:$p";
}
is($fails, 0, 'new visitors all served by the live task');
is($t->upstream_addrs->{"127.0.2.3:$p"}, 1,
    'the failed task is not tried again within fail_timeout');

$r = $t->get('/', 'Cookie: route=127.0.2.3');
is($r->{body}, "127.0.2.4:$p", 'a cookie naming a failed task moves');
is_deeply($r->{cookies}, ['route=127.0.2.4; Path=/; HttpOnly; SameSite=Lax'], 'with a new cookie');

# no tasks at all

$r = $t->get('/empty');
is($r->{status}, 502, 'no tasks: 502');
like($t->error_log, qr/swarm: upstream "empty" has no active tasks/,
    'no tasks: error names the upstream');

# every task refuses

$r = $t->get('/dead');
is($r->{status}, 502, 'every task refuses: 502');
like($t->read_file('access.log'),
    qr/upstream="127\.0\.2\.[67]:$p, 127\.0\.2\.[67]:$p"/,
    'every task tried once');

$t->done_testing;
