#!/usr/bin/perl

# Three reloads while 6 clients keep requesting: no request fails.  Then
# each worker killed with SIGKILL in turn, under the same load: each is
# replaced, and discovery still follows the swarm afterwards.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
$t->allow(qr/worker process \d+ exited on signal 9/);
my $p = free_port();
my @four = map { "127.0.2.$_:$p" } 3, 4, 9, 10;

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(@four);

$t->conf_app($p, 'swarm_interval 1s;', workers => 2);

$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

my $ok = qr/^127\.0\.2\.(3|4|9|10):/;

my $load = $t->load_start(clients => 6, seconds => 60, ok => $ok);
for (1 .. 3) {
    sleep 1;
    $t->reload;
}
sleep 1;
my $total = $t->load_stop($load);
cmp_ok($total->{n}, '>', 300, "requests across three reloads: $total->{n}");
is($total->{bad}, 0, 'none failed');

ok(wait_for(sub { my @w = $t->worker_pids; @w == 2 }, 10),
    'old workers gone after the reloads');

# SIGKILL to each worker in turn

$load = $t->load_start(clients => 6, seconds => 60, ok => $ok);
my @killed;
for my $i (0, 1) {
    my @before = $t->worker_pids;
    my ($victim) = grep { my $v = $_; !grep { $_ == $v } @killed } @before;
    kill 'KILL', $victim;
    push @killed, $victim;
    ok(wait_for(sub { my @w = $t->worker_pids;
            @w == 2 && !grep { $_ == $victim } @w }, 10),
        "worker $i killed and replaced");
    sleep 1;
}
$total = $t->load_stop($load);
diag "across the kills: $total->{n} requests, $total->{bad} cut off";
cmp_ok($total->{n}, '>', 100, 'requests went on across the kills');
cmp_ok($total->{bad}, '<=', 12,
    'only those under way in a killed worker were cut off');
my @now = $t->worker_pids;
is(scalar(grep { my $n = $_; grep { $_ == $n } @killed } @now), 0,
    'no killed worker left');

my $r = 0;
$r++ while $r < 20 && $t->get('/')->{status} == 200;
is($r, 20, 'served after the kills');

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers == 4 }, 5), 'discovery follows the swarm');
my %seen;
$seen{ $t->get('/')->{body} }++ for 1 .. 40;
is_deeply([sort map { /^(\S+)/ } keys %seen], [sort @four],
    'requests reach all four tasks');

$t->done_testing;
