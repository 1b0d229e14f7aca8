#!/usr/bin/perl

# Churn: the task set flips between two and four tasks every 0.4 s for
# 15 s, with events, while 6 clients keep requesting.  No request fails,
# none reaches an address outside the swarm, the changes are followed,
# and the workers' memory stays steady.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

my @four = ("127.0.2.3:$p", "127.0.2.4:$p", "127.0.2.9:$p",
    "127.0.2.10:$p");

my %two = (tasks => 'tasks-all.json');
my %four = (tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } });

$t->start_api(%two);
$t->start_backends(@four);

$t->conf_app($p, 'swarm_interval 5s;', workers => 2);

$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

sub rss_all { my $s = 0; $s += rss($_) for $t->worker_pids; $s }

$t->get('/') for 1 .. 20;
my $rss0 = rss_all();
my $gen0 = $t->status->{upstreams}{app}{generation};

my $load = $t->load_start(clients => 6, seconds => 40,
    ok => qr/^127\.0\.2\.(3|4|9|10):/);

# memory is compared after the first 5 s, once allocators have warmed up

my ($flips, $seen4, $rss5) = (0, 0);
my $start = time;
while (time < $start + 15) {
    $t->state($flips % 2 ? \%two : \%four);
    $flips++;
    sleep 0.2;
    $seen4++ if $t->peers == 4;
    sleep 0.2;
    $rss5 = rss_all() if !defined $rss5 && time > $start + 5;
}
$t->state(\%two);

my $total = $t->load_stop($load);
my $gen1 = $t->status->{upstreams}{app}{generation};

diag "$flips flips";
cmp_ok($gen1 - $gen0, '>=', $flips / 2, 'changes followed: generation '
    . ($gen1 - $gen0));
cmp_ok($seen4, '>', 0, 'four tasks seen between flips');
cmp_ok($total->{n}, '>', 1000, "requests meanwhile: $total->{n}");
is($total->{bad}, 0, 'none failed, none outside the swarm');
is_deeply([sort keys %{ $total->{seen} }], [sort @four],
    'all four tasks served');

ok(wait_for(sub { $t->peers == 2 }, 5), 'settled on two tasks');

my $rss1 = rss_all();
diag sprintf 'workers RSS: %d kB before, %d kB after 5 s, %d kB after',
    $rss0, $rss5, $rss1;
cmp_ok($rss1 - $rss5, '<', rss_slack(2 * 1024),
    'worker memory steady through the last 10 s');

$t->done_testing;
