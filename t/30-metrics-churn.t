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

my $long1 = ('l' x 64) . '-one';
my $long2 = ('l' x 64) . '-two';

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

    # names a scrape must take whole: a quote, and two that differ only
    # past their 64th byte
    upstream 'we"ird\\\\' {
        swarm_service label=swarm.upstream=app port=$p;
    }

    upstream $long1 {
        swarm_service label=swarm.upstream=app port=$p;
    }

    upstream $long2 {
        swarm_service label=swarm.upstream=app port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        proxy_read_timeout 5s;
        location /l1/ { proxy_pass http://$long1; }
        location /l2/ { proxy_pass http://$long2; }
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
        =~ /^nginx_swarm_task_requests_total\{upstream="\Q$up\E",[^}]*\} (\d+)$/mg;
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

# label values whole and escaped: promtool takes the text, no series
# is there twice, and each long upstream has its own

is($t->get('/l1/')->{status}, 200, 'the first long upstream answers');
is($t->get("/l2/")->{status}, 200, 'the second') for 1 .. 2;
my $m;
ok(wait_for(sub { counted($long1) == 1 && counted($long2) == 2 }, 5),
    'the long names\' counts, each its own')
    or diag counted($long1), ' ', counted($long2);
$m = $t->get('/metrics')->{body};
like($m, qr/^nginx_swarm_task_requests_total\{upstream="\Q$long1\E",/m,
    'the first long name whole');
like($m, qr/^nginx_swarm_upstream_tasks\{upstream="we\\"ird\\\\",state="active"\} 2$/m,
    'a quote and a backslash escaped in an upstream\'s series');
my %seen;
my @twice = grep { $seen{$_}++ } grep { !/^#/ } map { s/ \S+$//r }
    split /\n/, $m;
is_deeply(\@twice, [], 'no series twice');
open my $fh, '>', $t->dir . '/metrics.txt' or die $!;
print $fh $m, "\n";
close $fh;
my $check = `promtool check metrics < ${\ $t->dir}/metrics.txt 2>&1`;
is($?, 0, 'promtool check metrics passes') or diag $check;

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
