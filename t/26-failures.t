#!/usr/bin/perl

# Failures counted as nginx's round robin does, "max_fails=" and
# "fail_timeout=" of swarm_service, but once for all workers: a task that
# refuses connections is tried max_fails times in all, then left out for
# fail_timeout by every worker; then one request of one worker tries it
# again; an answer clears its failures.  max_fails=0 counts none.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $dir = $t->dir;

# 127.0.2.3 answers; 127.0.2.4 refuses until its backend starts

$t->start_api(tasks => 'tasks-all.json');
$t->start_backends("127.0.2.3:$p");

$t->conf(<<"EOC", workers => 2);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 1s;

    log_format tries '\$pid \$upstream_addr';

    upstream app {
        swarm_service label=swarm.upstream=app port=$p max_fails=3
                      fail_timeout=2s;
    }

    upstream nofails {
        swarm_service label=swarm.upstream=app port=$p max_fails=0;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        access_log $dir/tries.log tries;
        location / { proxy_pass http://app; }
        location /nofails { proxy_pass http://nofails/; }
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;
ok(wait_for(sub { $t->peers('app') == 2 && $t->peers('nofails') == 2 }, 5),
    'two tasks');

# requests until each worker served at least $each, at most 400; what
# each one tried

sub send_requests {
    my ($path, $each) = @_;
    my $from = -s "$dir/tries.log" || 0;
    my (%by, $n);
    for ($n = 0; $n < 400; $n++) {
        my $r = $t->get($path);
        return undef unless $r->{status} == 200;
        select undef, undef, undef, 0.02;
        next if $n % 10;
        %by = ();
        open my $fh, '<', "$dir/tries.log" or die $!;
        seek $fh, $from, 0;
        $by{ (split ' ', $_)[0] }++ for <$fh>;
        last if keys %by == 2 && !grep { $_ < $each } values %by;
    }
    open my $fh, '<', "$dir/tries.log" or die $!;
    seek $fh, $from, 0;
    my @lines = <$fh>;
    return { workers => scalar keys %by, requests => scalar @lines,
             tried => scalar(grep { /127\.0\.2\.4:/ } @lines) };
}

sub fails {
    my ($u) = @_;
    my ($peer) = grep { $_->{address} =~ /^127\.0\.2\.4:/ }
        @{ $t->status->{upstreams}{$u}{peers} };
    return $peer->{fails};
}

my $s = send_requests('/', 8);
is($s->{workers}, 2, "both workers served ($s->{requests} requests)");
is($s->{tried}, 3,
    'the refusing task was tried max_fails times in all, not by each worker');
is(fails('app'), 3, 'swarm_status shows its failures');

# past fail_timeout: one request, of one worker, tries it again

select undef, undef, undef, 3.2;
$s = send_requests('/', 8);
is($s->{workers}, 2, 'past fail_timeout: both workers served');
is($s->{tried}, 1, 'one request tried the task again for all workers');

# max_fails=0: tried in turn every time, failures not counted

$s = send_requests('/nofails', 8);
cmp_ok($s->{tried}, '>=', $s->{requests} / 2 - 2,
    "max_fails=0: tried in turn ($s->{tried} of $s->{requests})");
is(fails('nofails'), 0, 'and no failure counted');

# the task answers again: after fail_timeout one request finds it so,
# and every worker sends it visitors again

$t->start_backends("127.0.2.4:$p");
select undef, undef, undef, 3.2;
$s = send_requests('/', 8);
cmp_ok($s->{tried}, '>=', $s->{requests} / 2 - 2,
    "an answer cleared its failures ($s->{tried} of $s->{requests} to it)");
is(fails('app'), 0, 'swarm_status: no failures');

$t->finish;

# a zone with cells for fewer tasks than it holds: those left without
# one are counted by each worker, and the log says how many

my $z = SwarmTest->new;
my $svc = fake_service(1, 'many', { 'swarm.upstream' => 'many' });
my @many;
for my $n (1 .. 600) {
    my $k = fake_task($svc, sprintf 'many%021d', $n);
    $k->{NetworksAttachments}[0]{Addresses} =
        [ sprintf '10.0.%d.%d/16', 10 + int($n / 250), 1 + $n % 250 ];
    push @many, $k;
}
$z->start_api(services => [$svc], tasks => \@many);
$z->conf(<<"EOC");
    swarm_endpoint %%ENDPOINT%%;
    swarm_zone 256k;

    upstream many {
        swarm_service label=swarm.upstream=many port=$p;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOC
$z->start_nginx;
ok(wait_for(sub { $z->peers('many') == 600 }, 10), '600 tasks in a zone of 256k');
like($z->error_log,
    qr/swarm: upstream "many": swarm_zone has no cell left for the failures of 89 tasks, each worker counts theirs on its own/,
    'its 512 cells, 511 given, leave 89 tasks to each worker\'s count');
$z->finish;

done_testing;
