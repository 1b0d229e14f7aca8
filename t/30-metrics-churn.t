#!/usr/bin/perl

# swarm_metrics keeps counting through other upstreams' churn and
# through a reload: the counts of an upstream whose tasks stay are not
# lost when a task of another upstream leaves (and its counts are
# dropped), and a request that finishes on a worker of the old
# configuration after a reload is counted.

use strict;
use warnings;
use Test::More;
use POSIX ();
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my @all = @{ fixture('tasks-all.json') };

$t->start_api(tasks => \@all);
$t->start_backends("127.0.2.3:$p", "127.0.2.4:$p", "127.0.1.6:$p",
    "127.0.1.7:$p");

my $conf = <<"EOF";
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
    }

    upstream api {
        swarm_service label=swarm.upstream=api network=mystack_backend
                      port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        proxy_read_timeout 5s;
        location / { proxy_pass http://app; }
        location /api/ { proxy_pass http://api; }
        location = /metrics { swarm_metrics; }
        location = /swarm { swarm_status; }
    }
EOF
$t->conf($conf, workers => 2);
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 && $t->peers('api') == 2 }, 5),
    'two tasks in each upstream');

sub counted {
    my ($up) = @_;
    my $r = $t->get('/metrics');
    my $n = 0;
    $n += $1 while $r->{body}
        =~ /^nginx_swarm_task_requests_total\{upstream="$up",[^}]*\} (\d+)$/mg;
    return $n;
}

is($t->get('/')->{status}, 200, 'app answers') for 1 .. 10;
ok(wait_for(sub { counted('app') == 10 }, 5), '10 requests counted')
    or diag counted('app');

# a task of api leaves: its counts are dropped; app's stay counted

$t->state({ tasks => [ grep { $_->{ID} ne 'll0ptzrzvccgzepb1znym95pf' }
    @all ] });
ok(wait_for(sub { $t->peers('api') == 1 }, 5), 'a task of api left');

my $ok = grep { $t->get('/')->{status} == 200 } 1 .. 20;
is($ok, 20, '20 more requests to app answered');
ok(wait_for(sub { counted('app') == 30 }, 5),
    'app counts 30, through the other upstream\'s churn')
    or diag counted('app');

# and again, requests made right as another task leaves

$t->state({ tasks => [ grep { $_->{ID} !~ /^(ll0p|3j2p)/ } @all ] });
$ok = grep { $t->get('/')->{status} == 200 } 1 .. 20;
ok(wait_for(sub { $t->peers('api') == 0 }, 5), 'api has no task left');
$ok += grep { $t->get('/')->{status} == 200 } 1 .. 5;
is($ok, 25, '25 more requests to app answered');
ok(wait_for(sub { counted('app') == 55 }, 5), 'app counts 55')
    or diag counted('app');

# slow requests in flight across a reload finish on the old workers

my $before = counted('app');
my @slow;
for (1 .. 4) {
    my $pid = fork();
    if ($pid == 0) {
        my $r = $t->get('/slow?s=2');
        POSIX::_exit($r->{status} == 200 ? 0 : 1);
    }
    push @slow, $pid;
}
sleep 0.5;
ok($t->reload, 'reloaded with requests in flight');
my $answered = 0;
for (@slow) { waitpid $_, 0; $answered++ if $? == 0 }
is($answered, 4, 'the 4 slow requests were answered');
ok(wait_for(sub { counted('app') == $before + 4 }, 10),
    'the 4 requests that finished on the old workers are counted')
    or diag counted('app');

$t->done_testing;
