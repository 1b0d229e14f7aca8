#!/usr/bin/perl

# End to end on a real multi-node swarm on this machine
# (t/lib/SwarmCluster.pm): three Docker engines, each in a network
# namespace of its own, all managers, carrying the stack of
# t/e2e/cluster-stack.yml: four app tasks across the nodes, a load
# balancer on node 1 and one on node 3, each with the API of all three
# managers, node 2's first.  A cookie of one load balancer honoured by
# the other; then, under 8 sticky clients, node 3 drained, and node 2
# lost (its engine and containers killed): the manager the load
# balancer asks, and tasks of the app.  No request may fail.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use File::Temp qw(tempdir);
use Cwd qw(abs_path);
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;
use SwarmE2E;
use SwarmCluster;

my $top = abs_path('.');
my $dir = tempdir('swarm-cluster-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my ($lb1, $lb2) = ('10.99.0.1:25590', '10.99.0.3:25590');
my $status1 = '10.99.0.1:25591';

# the image, built as the demo builds it
system("$top/docker/demo.sh", 'setup') == 0
    or BAIL_OUT('set-up failed: no Docker engine or image');

my $t0 = time;
eval { SwarmCluster::up(3) } or BAIL_OUT("the cluster did not form: $@");
END { SwarmCluster::down() unless $ENV{SWARM_KEEP} }
diag sprintf 'three engines up, a swarm of three managers and the image '
    . 'in each: %.1f s', time - $t0;

# the load balancer's nginx.conf: docker/nginx.conf with the three
# managers' sockets, node 2's first, and a refresh every second

open my $in, '<', "$top/docker/nginx.conf" or die $!;
my $conf = do { local $/; <$in> };
close $in;
$conf =~ s{swarm_endpoint unix:/var/run/docker\.sock;}
          {swarm_endpoint unix:/var/run/m2.sock;
    swarm_endpoint unix:/var/run/m3.sock;
    swarm_endpoint unix:/var/run/m1.sock;}
    or die 'no swarm_endpoint in docker/nginx.conf';
$conf =~ s/swarm_interval 5s;/swarm_interval 1s;/ or die 'no swarm_interval';
open my $out, '>', "$dir/nginx.conf" or die $!;
print $out $conf;
close $out;

$ENV{LB_CONF} = "$dir/nginx.conf";
SwarmCluster::docker(1, 'stack', 'deploy', '-c',
    "$top/t/e2e/cluster-stack.yml", 'swc');

sub status {
    my ($addr) = @_;
    my $r = SwarmTest::http_get($addr // $status1, '/swarm');
    return $r->{status} == 200 ? decode_json($r->{body}) : undef;
}

sub active {
    my $s = status(@_) or return 0;
    return $s->{upstreams}{swarm}{active} // 0;
}

ok(wait_for(sub { active() == 4 && active('10.99.0.3:25591') == 4 }, 120),
    'both load balancers route to the four app tasks')
    or diag explain status();
is(status()->{endpoint}, 'unix:/var/run/m2.sock',
    'the first endpoint, node 2\'s manager, is in use');

# where each task runs, by its address

sub nodes_of_tasks {
    my %node;
    for (split /\n/, SwarmCluster::docker(1, 'service', 'ps', 'swc_app',
            '--filter', 'desired-state=running',
            '--format', '{{.ID}} {{.Node}} {{.CurrentState}}')) {
        my ($id, $node, $state) = split;
        next unless $state eq 'Running';
        my $j = decode_json(SwarmCluster::docker(1, 'inspect', $id));
        my ($addr) = map { @{ $_->{Addresses} } }
            @{ $j->[0]{NetworksAttachments} };
        $addr =~ s{/\d+$}{};
        $node{$addr} = $node;
    }
    return \%node;
}

# the load balancer's peers: address => state

sub lb_peers {
    my $s = status() or return {};
    return { map { ($_->{address} =~ /^([\d.]+):/)[0] => $_->{state} }
        @{ $s->{upstreams}{swarm}{peers} } };
}

# Swarm's running tasks are the balancer's active peers, and none runs
# on $off

sub settled {
    my ($off) = @_;
    my $tasks = nodes_of_tasks();
    my $peers = lb_peers();
    return 0 if grep { $_ eq $off } values %$tasks;
    return 0 if grep { ($peers->{$_} // '') ne 'active' } keys %$tasks;
    return keys(%$tasks) == 4
        && (grep { $_ eq 'active' } values %$peers) == 4;
}

my $where = nodes_of_tasks();
diag 'tasks: ' . join ', ', map { "$_ on $where->{$_}" } sort keys %$where;

# two load balancers, one cookie

my $same = 0;
for (1 .. 4) {
    my $r = SwarmTest::http_get($lb1, '/');
    my ($cookie) = ($r->{cookies}[0] // '') =~ /^(route_swc_app=[^;]+)/;
    my $r2 = SwarmTest::http_get($lb2, '/', "Cookie: $cookie");
    $same++ if $cookie && $r2->{body} eq $r->{body} && !@{ $r2->{cookies} };
}
is($same, 4, 'a cookie set by one load balancer is honoured by the other');

# failures the balancer retried elsewhere, from its metrics

sub retried {
    my $r = SwarmTest::http_get($status1, '/metrics');
    my $n = 0;
    $n += $1 while $r->{body}
        =~ /^nginx_swarm_task_failures_total\{[^}]*\} (\d+)$/mg;
    return $n;
}

# node 3 drained under 8 sticky clients

my @pids = SwarmE2E::clients(dir => $dir, n => 8, seconds => 120,
    port => $lb1, cookie => qr/^(route_\w+=[^;]+)/);
sleep 2;
$t0 = time;
SwarmCluster::docker(1, 'node', 'update', '--availability', 'drain', 'swc3');
my @old = grep { $where->{$_} eq 'swc3' } keys %$where;
ok(wait_for(sub { settled('swc3') }, 60),
    'node 3 drained: its tasks run elsewhere, and get visitors');
diag sprintf 'drain: tasks replaced and routed to in %.1f s', time - $t0;
ok(wait_for(sub { my $p = lb_peers(); !grep { $p->{$_} } @old }, 30),
    'the drained tasks drained, then left the balancer');
diag sprintf 'drain: the drained tasks gone after %.1f s', time - $t0;
sleep 2;
my ($ok, $bad, $moved) = SwarmE2E::collect($dir, @pids);
is($bad, 0, "no request failed while node 3 drained ($ok requests, "
    . "$moved cookies re-bound)")
    or diag `cat $dir/errors`;
SwarmCluster::docker(1, 'node', 'update', '--availability', 'active', 'swc3');

# rebalance: the tasks spread over the three nodes again

SwarmCluster::docker(1, 'service', 'update', '--detach', '--force',
    'swc_app');
ok(wait_for(sub { my %n = map { $_ => 1 } values %{ nodes_of_tasks() };
                  $n{swc2} && settled('') }, 120),
    'the tasks run on node 2 again') or diag explain nodes_of_tasks();
$where = nodes_of_tasks();
diag 'tasks: ' . join ', ', map { "$_ on $where->{$_}" } sort keys %$where;
sleep 5;

# node 2 lost: the manager the load balancer asks, and tasks of the app

my $retried = retried();
my ($gaps, $down_at, $running_at) = (0);
@pids = SwarmE2E::clients(dir => $dir, n => 8, seconds => 120,
    port => $lb1, cookie => qr/^(route_\w+=[^;]+)/);
sleep 2;
$t0 = time;
SwarmCluster::kill_node(2);
my $lost = time;
my $end = time + 60;
while (time < $end) {
    my $s = status();
    $gaps++ unless $s && ($s->{upstreams}{swarm}{active} // 0) > 0;
    if (!$down_at && SwarmCluster::docker(1, 'node', 'ls', '--format',
            '{{.Hostname}} {{.Status}}') =~ /^swc2 Down$/m) {
        $down_at = time;
    }
    if ($down_at && !$running_at) {
        my $tasks = nodes_of_tasks();
        $running_at = time if keys(%$tasks) == 4
            && !grep { $_ eq 'swc2' } values %$tasks;
    }
    last if $running_at && settled('swc2');
    sleep 0.2;
}
my $settled_at = time;
ok($down_at, 'Swarm marked node 2 down');
($ok, $bad, $moved) = SwarmE2E::collect($dir, @pids);
is($bad, 0, "no request failed when node 2 was lost ($ok requests, "
    . "$moved cookies re-bound)") or diag `cat $dir/errors`;
is($gaps, 0, 'the load balancer had tasks at every moment');
my $s = status();
is($s->{endpoint}, 'unix:/var/run/m3.sock',
    'discovery went on through the next manager');
is($s->{endpoints}[0]{state}, 'failed', 'the lost one is said failed');
diag sprintf 'node 2 lost: marked down after %.1f s, its tasks running '
    . 'elsewhere after %.1f s and all routed to after %.1f s; requests '
    . 'retried on another task: %d', ($down_at // time) - $lost,
    ($running_at // time) - $lost, $settled_at - $lost,
    retried() - $retried;

done_testing;
