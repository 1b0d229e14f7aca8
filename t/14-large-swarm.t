#!/usr/bin/perl

# A large swarm: 10,003 tasks of 1,001 services (t/bench/gen-swarm.py),
# every one of them new to a fresh nginx.  The refresh is done in steps,
# and no step holds the worker long: reading the answer as it comes,
# the tasks, the sets, their order and the copy into shared memory each
# take their share of cycles.  Seen twice, for a fresh nginx and for the
# new worker after a reload, and the better of the two is held to the
# bound, in CPU time, so that the other processes on a busy machine do
# not decide it.  The new worker copies the sets the zone keeps as it
# starts, and takes the tasks the last worker parsed: it parses only
# those whose bytes changed.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $dir = $t->dir;
my $bp = free_port();

# with AddressSanitizer every step is slower
my $bound = ($ENV{SWARM_ASAN} ? 30 : 12) * 1000;

system('python3', "$FindBin::Bin/bench/gen-swarm.py", $dir, $bp, 1000, 10, 0, 100) == 0
    or BAIL_OUT('gen-swarm.py failed');

# no events: each worker refreshes once as it starts, then every 30 s,
# so the status shows that first refresh until the test has read it

$t->start_api(services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks.json", events => 'refuse');

$t->conf(<<'EOF', workers => 1);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 30s;
    swarm_zone 16m;

    upstream big {
        swarm_service label=swarm.upstream=big;
        swarm_sticky;
    }
    upstream small {
        swarm_service label=swarm.upstream=small;
        swarm_sticky;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOF

my $brief = '?peers=off';

sub brief { $t->status($brief) // {} }

$t->start_nginx;
ok(wait_for(sub { (brief()->{upstreams}{big}{active} // 0) == 10000 }, 120),
    'a fresh nginx: 10,000 tasks published');

my $first = brief();
is($first->{sync_tasks_parsed}, 10003, 'every task new to it');
is($first->{upstreams}{small}{active}, 3, 'and the small upstream');
diag sprintf 'fresh nginx: refresh of %.0f ms CPU, longest step %.1f ms '
    . '(%.1f ms CPU)', $first->{sync_cpu_us} / 1000,
    $first->{sync_longest_step_us} / 1000,
    $first->{sync_longest_step_cpu_us} / 1000;

# a rolling update, so that what the next worker's first refresh writes
# to the status is told apart from this (it also asks for the 100 tasks
# replaced, by ID)

my $gen = $first->{upstreams}{big}{generation};
$t->state({ services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks-changed.json", events => 'refuse' });
$t->reload;
ok(wait_for(sub {
        my $s = brief();
        ($s->{upstreams}{big}{generation} // 0) > $gen
            && $s->{sync_tasks_reused} > 0 }, 60),
    'after a reload: the new worker takes the tasks the last one parsed')
    or diag explain brief();

# the 100 tasks new to the rolling update, and the 100 they replace,
# asked by ID, are all it parses

is(brief()->{sync_tasks_reused}, 9903, 'the 9,903 unchanged tasks taken');
is(brief()->{sync_tasks_parsed}, 200, 'only the 200 that changed parsed');

# the new worker copied the sets the zone kept as it started, not on a
# first request

my $copied = qr/upstream "big": 10000 tasks of generation \d+ /;
my ($copy) = $t->error_log =~ /${copied}copied at start in (\d+) us/;
ok(defined $copy, 'the new worker copied the 10,000 tasks as it started');
diag sprintf 'the new worker copied them in %.1f ms', ($copy // 0) / 1000;

my $again = brief();
is($again->{upstreams}{big}{active}, 10000, '10,000 tasks');
diag sprintf 'after a reload: refresh of %.0f ms CPU, longest step %.1f ms '
    . '(%.1f ms CPU)', $again->{sync_cpu_us} / 1000,
    $again->{sync_longest_step_us} / 1000,
    $again->{sync_longest_step_cpu_us} / 1000;

# in CPU time: the stand-in writing 14 MB shares the two cores, and its
# turns on them would count in the wall clock of a step
my ($best) = sort { $a <=> $b } map { $_->{sync_longest_step_cpu_us} }
    $first, $again;
cmp_ok($best, '<', $bound,
    sprintf 'no step of the refresh holds the worker %d ms',
        $bound / 1000);
cmp_ok($first->{sync_cpu_us}, '>', 5 * $best,
    'the refresh took many steps');

$t->done_testing;
