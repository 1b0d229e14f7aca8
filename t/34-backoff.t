#!/usr/bin/perl

# The backoff after every endpoint failed: a second after the first
# round, then doubled, up to swarm_interval, whatever the number of
# endpoints (trying the next endpoint at once is no round of its own).

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my @m = map { SwarmTest->new } 1 .. 4;    # four managers
my $t = $m[0];
my $p = free_port();

# none of them is a manager any more: each answers 503 to /services
$_->start_api(tasks => 'tasks-all.json', fault => 'not_manager') for @m;

my $endpoints = join "\n",
    map { '    swarm_endpoint unix:' . $_->socket_path . ';' } @m;

$t->conf(<<"EOC");
$endpoints
    swarm_interval 20s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;

sub rounds {
    my $n = () = $t->api_log =~ m{^\d+ GET /v[\d.]+/services}mg;
    return $n;
}

# the first round at start, then one a second later, two after that

ok(wait_for(sub { rounds() >= 1 }, 5), 'a first round');
my $t0 = time;
ok(wait_for(sub { rounds() >= 2 }, 5), 'a second round');
my $first = time - $t0;
ok(wait_for(sub { rounds() >= 3 }, 5), 'a third round');
my $second = time - $t0 - $first;

diag sprintf 'between rounds: %.1f s, then %.1f s', $first, $second;
cmp_ok($first, '<', 1.8, 'the first backoff is about a second');
cmp_ok($second, '>', 1.5, 'the next about two');
cmp_ok($second, '<', 3, 'not more');
# the last endpoint is asked last in a round: once it is, the counts
# agree until the next round, 4 s later
ok(wait_for(sub { scalar(() = $m[3]->api_log
    =~ m{^\d+ GET /v[\d.]+/services}mg) == rounds() }, 3),
    'each round asked all four endpoints');

$t->done_testing;
