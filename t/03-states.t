#!/usr/bin/perl

# Task states: only running tasks are peers; a task Swarm is stopping
# (desired shutdown or remove, still running) drains: it keeps the
# visitors whose cookie names it and gets no new ones.  Changes reach
# every worker; unchanged answers publish nothing.  Docker is asked for
# the tasks it wants running, and for the stopping ones by ID.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4, 9, 10);

$t->conf_app($p, 'swarm_interval 200ms;', workers => 2);

$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'steady: two tasks');
my $gen = $t->status->{upstreams}{app}{generation};

select undef, undef, undef, 1;
is($t->status->{upstreams}{app}{generation}, $gen,
    'unchanged answers publish nothing');

# scaling up: two new tasks still starting are not peers yet

$t->state({ tasks => 'tasks-scaling-up.json' });
select undef, undef, undef, 1;
is_deeply([$t->peers], ["127.0.2.3:$p active", "127.0.2.4:$p active"],
    'starting tasks are not peers');

# ... and are once running

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { $t->peers == 4 }, 3), 'running tasks become peers');

my %seen;
for (1 .. 40) {
    my $r = $t->get('/');
    $seen{$r->{body}}++;
}
is(scalar keys %seen, 4, 'both workers route to all four tasks');

# draining: Swarm stops task 2 (10.0.2.4) and task 3

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { iqksi7o3do => { DesiredState => 'shutdown' },
                  jh4cj5tr1e => { State => 'running',
                                  DesiredState => 'remove' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { grep { /draining/ } $t->peers }, 3), 'draining seen');
is_deeply([$t->peers],
    ["127.0.2.3:$p active", "127.0.2.4:$p draining",
     "127.0.2.9:$p draining", "127.0.2.10:$p active"],
    'desired shutdown or remove while running: draining');

%seen = ();
for (1 .. 20) {
    my $r = $t->get('/');
    $seen{$r->{body}}++;
}
is_deeply([sort keys %seen], ["127.0.2.10:$p", "127.0.2.3:$p"],
    'draining tasks get no new visitors');

my $cookies = 0;
%seen = ();
for (1 .. 10) {
    my $r = $t->get('/', 'Cookie: route=127.0.2.4');
    $seen{$r->{body}}++;
    $cookies += @{ $r->{cookies} };
}
is_deeply([keys %seen], ["127.0.2.4:$p"],
    'a cookie naming a draining task still reaches it');
is($cookies, 0, 'and gets no new cookie');

# what was asked: the tasks Swarm wants running, then those that left
# that list by ID

my @asked = map { my $q = $_; $q =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge; $q }
    grep { m{ /v[\d.]+/tasks} } split /\n/, $t->api_log;
my @by_id = grep { /"id":/ } @asked;
ok(@by_id > 0 && !grep({ /"service":/ } @by_id), 'some asked by ID only');
is($asked[0] =~ /"desired-state":\["running","shutdown","remove"\]/, 1,
    'the first asked for the tasks wanted running and those being stopped');
is(scalar(grep { /"desired-state":\["running"\]/ } @asked),
    @asked - @by_id - 1, 'all others asked for the tasks wanted running');
ok((grep { /"id":\["iqksi7o3do\w*","jh4cj5tr1e\w*"\]/
           || /"id":\["jh4cj5tr1e\w*","iqksi7o3do\w*"\]/ } @asked),
    'and the two stopping tasks by ID')
    or diag join "\n", @asked[-3 .. -1];

# the task is gone: its visitors move, with a new cookie

$t->state({ tasks => 'tasks-scaling-up.json',
    override => { iqksi7o3do => { DesiredState => 'shutdown',
                                  State => 'shutdown' },
                  jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } } });
ok(wait_for(sub { !grep { /127\.0\.2\.4:/ } $t->peers }, 3), 'task gone');

my $r = $t->get('/', 'Cookie: route=127.0.2.4');
isnt($r->{body}, "127.0.2.4:$p", 'a cookie naming a gone task moves');
my ($ip) = $r->{body} =~ /^([\d.]+):/;
is_deeply($r->{cookies}, ["route=$ip; Path=/; HttpOnly; SameSite=Lax"], 'with a new cookie');

# failed, shutdown and ready tasks beside running ones

$t->state({ tasks => 'tasks-mixed.json' });
ok(wait_for(sub { $t->peers == 1 }, 3), 'mixed states');
is_deeply([$t->peers], ["127.0.2.3:$p active"],
    'shutdown, failed and ready tasks are not peers');

# task sets that keep changing under requests and status queries: each
# worker frees its old copies once the requests that used them are gone;
# once either worker shows a set, a request to either routes by it

sub flips {
    my ($n) = @_;
    my ($flips, $stale) = (0, 0);
    for my $i (1 .. $n) {
        my $odd = $i % 2;
        $t->state({ tasks => $odd ? 'tasks-all.json' : 'tasks-mixed.json' });
        $flips++ if wait_for(sub { $t->peers == ($odd ? 2 : 1) }, 3);
        my $r = $t->get('/', 'Cookie: route=127.0.2.4');
        $stale++ if $r->{body} ne ($odd ? "127.0.2.4:$p" : "127.0.2.3:$p");
    }
    return ($flips, $stale);
}

my ($flips, $stale) = flips(40);
is($flips, 40, 'forty changes seen');
is($stale, 0, 'no request routed by the set before');
unlike($t->error_log, qr/exited on signal/, 'no worker crashed');

# one process asks Docker, whatever the number of workers

my %pids = map { (split)[0] => 1 } split /\n/, $t->api_log;
my @workers = $t->worker_pids;
is(scalar @workers, 2, 'two workers');
is(scalar keys %pids, 1, 'one process polls')
    or diag $t->api_log;
ok((grep { $pids{$_} } @workers), 'and it is a worker');

# the same in the workers of a reloaded configuration, which are woken
# through pipes of their own

my @old = $t->worker_pids;
$t->reload;
ok(wait_for(sub { my %o = map { $_ => 1 } @old;
                  my @w = $t->worker_pids;
                  @w == 2 && !grep { $o{$_} } @w }, 10),
    'the reload replaced both workers');
($flips, $stale) = flips(20);
is($flips, 20, 'twenty changes seen after the reload');
is($stale, 0, 'no request routed by the set before after the reload');

$t->done_testing;
