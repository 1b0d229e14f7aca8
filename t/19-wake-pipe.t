#!/usr/bin/perl

# The pipe through which worker 0 wakes a worker to copy a new set: once
# no process can write to it any more (the master and worker 0 killed),
# the worker left does not spin on it, and goes on serving by its copy.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4);
$t->conf_app($p, 'swarm_interval 60s;', workers => 2);
$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks');

my ($poller) = $t->api_log =~ /^(\d+) /m;
my $master = $t->master_pid;
my ($other) = grep { $_ != $poller } $t->worker_pids;
ok($other, "the other worker: $other");

# the CPU time of a process, in seconds

sub cpu {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return undef;
    my @f = split ' ', (<$fh> =~ /\)\s+(.*)/)[0];
    return ($f[11] + $f[12]) / 100;
}

kill 'KILL', $master, $poller;
ok(wait_for(sub { !kill(0, $master) && !kill(0, $poller) }, 5),
    'the master and worker 0 are gone');

my $before = cpu($other);
sleep 1;
my $used = cpu($other) - $before;
cmp_ok($used, '<', 0.2, sprintf 'the worker left is idle (%.2f s of CPU '
    . 'in a second)', $used);

my %seen;
$seen{ $t->get('/')->{body} // '' }++ for 1 .. 10;
is_deeply([sort keys %seen], ["127.0.2.3:$p", "127.0.2.4:$p"],
    'and serves by its copy');

kill 'KILL', $other;
ok(wait_for(sub { !kill 0, $other }, 5), 'stopped');

is(scalar(() = $t->error_log =~ /\[(?:alert|emerg)\]/g), 0,
    'no alert or emerg');

done_testing;
