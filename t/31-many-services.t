#!/usr/bin/perl

# Any number of selected services: 2,000 labelled services with no task
# (whoever may create services can make them) do not freeze discovery.
# Their IDs do not fit in one /tasks query, so a refresh asks several;
# a task that leaves an upstream is no longer routed, whether its
# upstream selects by label or by name.

use strict;
use warnings;
use Test::More;
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $dir = $t->dir . '/swarm';
mkdir $dir;

# 2,000 services "big_NNNN" of no replica, and "small" with 3 tasks

system('python3', "$FindBin::Bin/bench/gen-swarm.py", $dir, $p, 2000, 0,
    0, 0) == 0 or BAIL_OUT('gen-swarm.py failed');

open my $fh, '<', "$dir/tasks.running.json" or die $!;
my @tasks = @{ JSON::PP::decode_json(do { local $/; <$fh> }) };
close $fh;
is(scalar @tasks, 3, 'three tasks, all of "small"');

$t->start_api(services => "$dir/services.json", tasks => \@tasks);
$t->start_backends(map { "127.4.0.$_:$p" } 1 .. 3);

$t->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 300ms;
    swarm_zone 8m;

    upstream big {
        swarm_service label=swarm.upstream=big port=$p;
    }

    upstream small {
        swarm_service label=swarm.upstream=small port=$p;
    }

    upstream byname {
        swarm_service name=small port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://small; }
        location /byname/ { proxy_pass http://byname; }
        location = /swarm { swarm_status; }
    }
EOF
$t->start_nginx;

ok(wait_for(sub { $t->peers('small') == 3 && $t->peers('byname') == 3 },
    10), 'the three tasks, selected by label and by name')
    or diag $t->error_log;

my @queries = $t->api_log =~ m{GET /v[\d.]+/tasks\?filters=(\S+)}g;
my %asked;
for my $q (@queries) {
    $q =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    my $f = JSON::PP::decode_json($q);
    $asked{$_}++ for @{ $f->{service} || [] };
    last if keys %asked >= 2001;
}
is(scalar keys %asked, 2001, 'every service is asked for');
cmp_ok(length($queries[0]), '<', 65536, 'each query fits in a URL');
unlike($t->error_log, qr/too many services/, 'no query refused');

# a task of small leaves: neither upstream routes to it soon after

$t->state({ services => "$dir/services.json", tasks => [ @tasks[0, 1] ] });
ok(wait_for(sub { $t->peers('small') == 2 && $t->peers('byname') == 2 },
    5), 'the task that left is no longer routed')
    or diag explain [$t->status];

my %seen;
for (1 .. 12) {
    my ($ip) = $t->get('/')->{body} =~ /^([\d.]+):/;
    $seen{$ip // 'none'}++;
}
is_deeply([sort keys %seen], [sort map { /(\d+\.\d+\.\d+\.\d+)/ }
    map { $_->{NetworksAttachments}[0]{Addresses}[0] } @tasks[0, 1]],
    'requests go to the two tasks left');

$t->done_testing;
