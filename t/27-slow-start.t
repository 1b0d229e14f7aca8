#!/usr/bin/perl

# swarm_slow_start: a task that became active (by Docker's timestamp of
# its state) less than the period ago gets a share of new visitors that
# grows in step with time, from near nothing to its full share; sticky
# visitors keep their task whatever its share.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;
use POSIX qw(strftime);

my $t = SwarmTest->new;
my $p = free_port();
my $period = 100;

# one service, four running tasks: active long ago, at 100 %, 50 % and
# 0 % of the period, by their timestamps

sub stamp { strftime('%Y-%m-%dT%H:%M:%S.000000000Z', gmtime($_[0])) }

my $now = time;
my $s = fake_service(1, 'app', { 'swarm.upstream' => 'app' });
my @tasks;
my %at = (11 => $now - 30 * 86400, 12 => $now - $period, 13 => $now - $period / 2,
          14 => $now);
for my $n (sort keys %at) {
    my $k = fake_task($s, sprintf 'task%021d', $n);
    $k->{NetworksAttachments}[0]{Addresses} = [ "10.0.2.$n/24" ];
    $k->{Status}{Timestamp} = stamp($at{$n});
    push @tasks, $k;
}

$t->start_api(services => [$s], tasks => \@tasks);
$t->start_backends(map { "127.0.2.$_:$p" } sort keys %at);

$t->conf(<<"EOC", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    upstream app {
        swarm_service label=swarm.upstream=app port=$p;
        swarm_sticky;
        swarm_slow_start ${period}s;
    }

    upstream plain {
        swarm_service label=swarm.upstream=app port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location / { proxy_pass http://app; }
        location /plain { proxy_pass http://plain/; }
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 4 }, 5), 'four tasks');

my %w = map { ($_->{address} =~ /^127\.0\.2\.(\d+):/)[0] => $_->{weight} }
    @{ $t->status->{upstreams}{app}{peers} };
is_deeply([@w{11, 12}], [100, 100], 'swarm_status: full weight at 100 % of the period');
ok($w{13} >= 49 && $w{13} <= 53, "half at 50 % ($w{13})");
ok($w{14} <= 3, "near none at 0 % ($w{14})");

# who new visitors go to, out of $n

sub shares {
    my ($path, $n) = @_;
    my %by;
    for (1 .. $n) {
        my $r = $t->get($path);
        my ($ip) = $r->{body} =~ /^127\.0\.2\.(\d+):/;
        $by{ $ip // 'none' }++;
    }
    return \%by;
}

my $by = shares('/', 400);
my $full = ($by->{11} // 0) + ($by->{12} // 0);
ok($full >= 400 * 0.72, "the two at full weight: 80 % expected, $full of 400");
ok(abs(($by->{11} // 0) - ($by->{12} // 0)) <= 30,
    'shared alike between them');
ok(($by->{13} // 0) >= 400 * 0.14 && ($by->{13} // 0) <= 400 * 0.26,
    'the one at 50 %: 20 % expected, ' . ($by->{13} // 0) . ' of 400');
ok(($by->{14} // 0) <= 400 * 0.03,
    'the one at 0 %: near none, ' . ($by->{14} // 0) . ' of 400')
    or diag explain $by;

# sticky visitors are not held back

my %seen;
$seen{ $t->get('/', 'Cookie: route=127.0.2.14')->{body} }++ for 1 .. 10;
is_deeply([keys %seen], ["127.0.2.14:$p"],
    'a visitor whose cookie names the new task stays on it');

# without swarm_slow_start, all four alike

$by = shares('/plain', 200);
ok(!grep({ ($by->{$_} // 0) < 40 } 11 .. 14),
    'without it, round robin over all four') or diag explain $by;

$t->done_testing;
