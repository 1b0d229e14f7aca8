#!/usr/bin/perl

# GET /events as a "look now" signal: a change is picked up at once, not
# at the next periodic refresh; a refused or dropped stream falls back to
# polling and reconnects; the stream holds up neither a reload nor a
# shutdown.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use JSON::PP ();

my $t = SwarmTest->new;
my $p = free_port();

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends(map { "127.0.2.$_:$p" } 3, 4, 9, 10);

# a periodic refresh far away: only events can explain a quick change

$t->conf_app($p, 'swarm_interval 60s;');

$t->start_nginx;
ok(wait_for(sub { $t->peers == 2 }, 5), 'first refresh at start');
ok(wait_for(sub { $t->api_log =~ m{GET /v1\.41/events\?filters=} }, 5),
    'events stream opened');
my ($filters) = $t->api_log =~ m{/events\?filters=(\S+)};
$filters =~ s/%([0-9A-F]{2})/chr hex $1/ge;
is_deeply(JSON::PP::decode_json($filters),
    { type => [qw(service container network)],
      event => [qw(create update remove start die destroy health_status
                   connect disconnect)] },
    'service, container and network events that can change a task set');

sub scale {
    my ($what, $state, $want) = @_;
    my $t0 = time;
    $t->state($state);
    ok(wait_for(sub { $t->peers == $want }, 5), "$what: seen");
    my $delay = time - $t0;
    cmp_ok($delay, '<', 1, "$what: within a second");
    diag sprintf '%s: task set changed %.0f ms after the event', $what,
        $delay * 1000;
}

my %up = (tasks => 'tasks-scaling-up.json',
    override => { jh4cj5tr1e => { State => 'running' },
                  o0fwowdnc9 => { State => 'running' } });

scale('scale up on an event', \%up, 4);
scale('scale down on an event', { tasks => 'tasks-all.json' }, 2);

# refused: a warning, polling goes on, and the stream comes back

$t->state({ tasks => 'tasks-all.json', events => 'refuse' });
ok(wait_for(sub { $t->error_log =~ /swarm: events stream at \S+ (ended|refused) \(HTTP \d+\); polling every 60000 ms and reconnecting/ }, 5),
    'a refused stream is logged');
ok(wait_for(sub { $t->api_log =~ m{GET /v1\.41/events.*\n(?:.*\n)*.*GET /v1\.41/events} }, 5),
    'and retried');
is(scalar(() = $t->error_log =~ /swarm: events stream at/g), 1,
    'one warning while it is refused');
is($t->get('/')->{status}, 200, 'requests served meanwhile');

$t->state({ tasks => 'tasks-all.json' });
ok(wait_for(sub { $t->error_log =~ /swarm: events stream at \S+ is back/ }, 10),
    'the stream comes back');
scale('scale up after reconnecting', \%up, 4);

# the stream holds up neither a reload nor a shutdown

my @old = $t->worker_pids;
$t->reload;
ok(wait_for(sub { !grep { kill 0, $_ } @old }, 3),
    'old worker exits at once after a reload');
ok(wait_for(sub { $t->api_log =~ m{(GET /v1\.41/events.*\n.*){3}}s
    && $t->peers == 4 }, 5), 'the new worker opens its own stream');

# The stand-in's stream does not end for an hour: a worker held up by it
# would never exit.  Timed from the moment "nginx -s quit" has sent the
# signal; an nginx built with AddressSanitizer takes about a second and
# a half to exit at all (one without, a few milliseconds), hence 3 s.
my $master = $t->master_pid;
$t->run_nginx('-s', 'quit');
my $t0 = time;
ok(wait_for(sub { !kill 0, $master }, 10), 'graceful shutdown');
cmp_ok(time - $t0, '<', 3, 'not held up by the stream')
    or diag $t->error_log;

$t->done_testing;
