#!/usr/bin/perl

# Events that cannot change a task set start no refresh.  Docker sends
# exec_create, exec_start and exec_die for every health check probe:
# one probe a second for 10 s asks /tasks no more often than 10 quiet
# seconds do.  The engine is asked only for the events that matter, and
# those the stand-in sends all the same (as a proxy that drops the
# filter would) are ignored.  A task already being stopped when nginx
# starts drains from the first refresh.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json',
    override => { iqksi7o3do => { DesiredState => 'shutdown' } });
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4);
$t->conf_app($p, 'swarm_interval 2s;');
$t->start_nginx;

ok(wait_for(sub { $t->peers == 2 }, 5), 'two tasks at start');
is_deeply([$t->peers], ["127.0.2.3:$p active", "127.0.2.4:$p draining"],
    'one of them being stopped: draining from the first refresh');

ok(wait_for(sub { $t->api_log =~ m{GET /v[\d.]+/events} }, 5),
    'events stream opened');

sub tasks_asked { scalar(() = $t->api_log =~ m{GET /v[\d.]+/tasks}g) }

sleep 1;
my $n = tasks_asked();
sleep 10;
my $quiet = tasks_asked() - $n;

$t->state({ tasks => 'tasks-all.json', exec_events => JSON::PP::true,
    override => { iqksi7o3do => { DesiredState => 'shutdown' } } });

# the state change itself is an event: let its refreshes settle

sleep 3;
$n = tasks_asked();
sleep 10;
my $probes = tasks_asked() - $n;

diag "/tasks asked in 10 s: $quiet quiet, $probes with a probe a second";
cmp_ok($probes, '<=', $quiet + 1, 'health check probes start no refresh');

# a proxy that drops the filter: the exec events reach nginx

$t->stop_api;
$t->state({ tasks => 'tasks-all.json', exec_events => JSON::PP::true,
    unfiltered => JSON::PP::true,
    override => { iqksi7o3do => { DesiredState => 'shutdown' } } });
$t->start_api;
ok(wait_for(sub { $t->error_log =~ /events stream at \S+ is back/ }, 10),
    'the stream is back');
sleep 3;
$n = tasks_asked();
sleep 10;
my $unfiltered = tasks_asked() - $n;
diag "/tasks asked in 10 s with the exec events unfiltered: $unfiltered";
cmp_ok($unfiltered, '<=', $quiet + 1, 'the exec events are ignored');

$t->done_testing;
