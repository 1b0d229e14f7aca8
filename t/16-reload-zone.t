#!/usr/bin/perl

# What a reload does to the zone.  The old worker 0, which may run on
# for a while to finish its requests, never publishes into the records
# of the new configuration: a refresh it had under way when the reload
# came is dropped.  The records of an upstream that leaves the
# configuration are freed, so renaming an upstream does not fill the
# zone.  A set that does not fit is an error swarm_status shows; the
# copy of the parsed tasks the zone keeps gives way to a set.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

# blue: the tasks of mystack_app; green: those of mystack_api

my @blue = map { "127.0.2.$_:$p" } 3, 4;
my @green = map { "127.0.2.$_:$p" } 6, 7;
my $sp = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(@blue, @green, "127.0.0.1:$sp");

sub conf {
    my ($service) = @_;
    $t->conf(<<"EOC", workers => 1);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 30s;
    upstream app {
        swarm_service name=$service port=$p network=mystack_net;
    }
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /slow { proxy_pass http://127.0.0.1:$sp; }
        location = /swarm { swarm_status; }
    }
EOC
}

sub addrs { [sort map { /^(\S+)/ } $t->peers] }

conf('mystack_app');
$t->start_nginx;
ok(wait_for(sub { "@{ addrs() }" eq "@blue" }, 5), 'blue published');

# a refresh of the old worker 0 under way as the reload comes: its
# answers come 1 s late, and a slow request keeps it running 6 s

my ($old) = $t->worker_pids;
my $slow = fork();
if ($slow == 0) {
    http_get($t->port, '/slow?s=6');
    POSIX::_exit(0);
}
$t->state({ tasks => 'tasks-all.json',
    delay => { pid => $old + 0, seconds => 1, paths => ['/tasks'] } });
ok(wait_for(sub { $t->api_log =~ /^$old GET \/v[\d.]+\/tasks.*\n\z/m }, 5),
    'the old worker 0 asks for the tasks');

conf('mystack_api');
$t->reload;
ok(wait_for(sub { "@{ addrs() }" eq "@green" }, 5), 'green published');

sleep 3.5;
ok(kill(0, $old), 'the old worker 0 still runs');
like($t->api_log, qr/^$old GET \/v[\d.]+\/tasks/m, 'and had its answer');
is_deeply(addrs(), \@green, 'its refresh was not published');
my %seen;
$seen{ $t->get('/')->{body} }++ for 1 .. 10;
is_deeply([sort keys %seen], \@green, 'only green is routed to');
is(scalar(() = $t->error_log
        =~ /\[info\] $old#\d+: swarm: upstream "app": .* generation/g), 1,
    'the old worker 0 published only before the reload');
waitpid $slow, 0;

# an upstream renamed: the records of the old name are freed

my $big = SwarmTest->new;
my $bp = free_port();
my $dir = $big->dir;
system('python3', "$FindBin::Bin/bench/gen-swarm.py", $dir, $bp, 150, 10,
    0, 100) == 0 or BAIL_OUT('gen-swarm.py failed');
$big->start_api(services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks.json", events => 'refuse');

sub big_conf {
    my ($name, $zone) = @_;
    $big->conf(<<"EOC", workers => 1);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 500ms;
    swarm_zone $zone;
    upstream $name { swarm_service label=swarm.upstream=big; }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOC
}

sub brief { $big->status('?peers=off') // {} }

big_conf('app', '1m');
$big->start_nginx;
ok(wait_for(sub { (brief()->{upstreams}{app}{active} // 0) == 1500 }, 30),
    '1,500 tasks published');
my $used = brief()->{zone_used};

big_conf('app2', '1m');
$big->reload;
ok(wait_for(sub { (brief()->{upstreams}{app2}{active} // 0) == 1500 }, 30),
    'renamed: published under the new name');
cmp_ok(brief()->{zone_used}, '<', $used * 1.2,
    "the zone holds one set, not two ($used bytes before)");
like($big->error_log, qr/upstream "app" left the configuration, its 1500 tasks are dropped/,
    'the old records are freed');

$big->state({ services_raw => "$dir/services.json",
    tasks_raw => "$dir/tasks-changed.json", events => 'refuse' });
my $gen;
ok(wait_for(sub { defined($gen = brief()->{upstreams}{app2}{generation}) },
    5), "the generation before: $gen");
ok(wait_for(sub { (brief()->{upstreams}{app2}{generation} // 0) > $gen }, 10),
    'the next change fits');
is(brief()->{upstreams}{app2}{last_error}, undef, 'with no error');
unlike($big->error_log, qr/too small/, 'the zone was never full');

# a zone too small: the error is shown, and said once

big_conf('app2', '128k');
$big->reload;
ok(wait_for(sub { (brief()->{upstreams}{app2}{last_error} // '')
        =~ /^swarm_zone is too small for 1500 tasks, keeping the last 0$/ },
        10), 'a set that does not fit: last_error says so')
    or diag explain brief();
sleep 1.5;
is(scalar(() = $big->error_log =~ /swarm_zone is too small/g), 1,
    'logged once, not at every refresh');

$big->stop_nginx;

# the tasks worker 0 parsed, kept in the zone for a reload's new worker
# 0 where four times their size is free, give way to a set: 1,500 tasks
# leave room for their copy, and 4,000 then fit only without it

my $grow = SwarmTest->new;
my $gdir = $grow->dir;
mkdir "$gdir/$_" for qw(a b);
system('python3', "$FindBin::Bin/bench/gen-swarm.py", "$gdir/a", $bp, 150,
    10, 0, 10) == 0 and system('python3', "$FindBin::Bin/bench/gen-swarm.py",
    "$gdir/b", $bp, 400, 10, 0, 10) == 0 or BAIL_OUT('gen-swarm.py failed');
$grow->start_api(services_raw => "$gdir/a/services.json",
    tasks_raw => "$gdir/a/tasks.json", events => 'refuse');
$grow->conf(<<'EOC', workers => 1);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 500ms;
    swarm_zone 1900k;
    upstream app { swarm_service label=swarm.upstream=big; }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOC

sub grown { $grow->status('?peers=off') // {} }

$grow->start_nginx;
ok(wait_for(sub { (grown()->{upstreams}{app}{active} // 0) == 1500 }, 30),
    '1,500 tasks published');
$grow->state({ services_raw => "$gdir/b/services.json",
    tasks_raw => "$gdir/b/tasks.json", events => 'refuse' });
ok(wait_for(sub { (grown()->{upstreams}{app}{active} // 0) == 4000 }, 30),
    '4,000 tasks published in their place: the copy gave way')
    or diag explain grown();
is(grown()->{upstreams}{app}{last_error}, undef, 'with no error');
ok(wait_for(sub { $grow->error_log
        =~ /no ample room for the 4000 tasks parsed/ }, 5),
    'and no copy of the 4,000 is kept (written a step at a time after)');

$t->finish;
$big->done_testing;
