#!/usr/bin/perl

# Lifecycle: nginx starts with no Docker API, tasks appear within a
# second of the first good answer, reloads keep the task sets (even with
# the API gone), a killed worker is replaced and discovery goes on, and
# a refresh parses only the tasks that changed.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX qw(:sys_wait_h);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
$t->allow(qr/worker process \d+ exited on signal 9/);
my $p = free_port();

$t->start_backends(map { "127.0.2.$_:$p" } 3, 4, 9, 10);

$t->conf_app($p, 'swarm_interval 1s;', workers => 2);

# no socket at all

$t->start_nginx;
my $r = $t->get('/');
is($r->{status}, 502, 'no API yet: 502');
ok(wait_for(sub { $t->error_log =~ /swarm: Docker API at \S+ failed: GET \/_ping: Couldn't connect to server \(No such file or directory\)/ }, 3),
    'no API: the error says so');

# the API comes up

$t->state({ tasks => 'tasks-all.json' });
$t->start_api;
ok(wait_for(sub { $t->api_log =~ m{/tasks} }, 5), 'the API is asked');
my $answered = time;
ok(wait_for(sub { $t->peers == 2 }, 5), 'tasks appear');
my $delay = time - $answered;
cmp_ok($delay, '<', 1, 'within a second of the first good answer');
diag sprintf 'tasks visible %.0f ms after the first /tasks answer',
    $delay * 1000;
is($t->get('/')->{status}, 200, 'served');

# reloads under load, with the API gone

$t->stop_api;

my $loop = fork();
if ($loop == 0) {
    my ($n, $bad) = (0, 0);
    my $end = time + 6;
    while (time < $end && $n < 20000) {
        my $r = $t->get('/');
        $n++;
        $bad++ unless $r->{status} == 200;
    }
    open my $fh, '>', $t->dir . '/loop.out';
    print $fh "$n $bad\n";
    close $fh;
    POSIX::_exit(0);
}

for (1 .. 3) {
    sleep 1;
    $t->reload;
}
waitpid $loop, 0;
my ($n, $bad) = split ' ', $t->read_file('loop.out');
cmp_ok($n, '>', 20, "requests during three reloads: $n");
is($bad, 0, 'no failed request across reloads without the API');
is_deeply([$t->peers], ["127.0.2.3:$p active", "127.0.2.4:$p active"],
    'the task set survives reloads');

# a worker killed: replaced, and discovery goes on

my $before = () = $t->api_log =~ /_ping/g;
$t->start_api;
ok(wait_for(sub { (() = $t->api_log =~ /_ping/g) > $before }, 5),
    'new workers ask the API');
my ($poller) = $t->api_log =~ /(\d+) GET \S+\n\z/;
my @workers = $t->worker_pids;
ok((grep { $_ == $poller } @workers), 'a worker polls');

kill 'KILL', $poller;
ok(wait_for(sub { my @w = $t->worker_pids; @w == 2 && !grep { $_ == $poller } @w }, 5),
    'the killed worker is replaced');

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers == 4 }, 5), 'discovery goes on after the kill');
my ($new) = $t->api_log =~ /(\d+) GET \S+\n\z/;
isnt($new, $poller, 'the new worker polls');

# unchanged tasks are not parsed again: only the one that changed is

ok(wait_for(sub { my $s = $t->status;
        $s->{sync_tasks_parsed} == 0 && $s->{sync_tasks_reused} > 0 }, 4),
    'a refresh with nothing new parses no task');
my $known = $t->status->{sync_tasks_reused};
$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { DesiredState => 'shutdown' } } });
ok(wait_for(sub { $t->status->{sync_tasks_parsed} == 1 }, 4),
    'a task that changed is parsed again');
is($t->status->{sync_tasks_reused}, $known - 1, 'the others are not');
cmp_ok($t->status->{sync_cpu_us}, '>', 0, 'the CPU time of a refresh is shown');

$t->done_testing;
