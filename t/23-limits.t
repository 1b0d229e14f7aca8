#!/usr/bin/perl

# What Docker can make nginx connect to: task addresses that reach no
# task (this network, link-local such as cloud metadata, multicast,
# broadcast, unspecified; v4, v6 and v4-mapped v6) are never peers and
# are said; swarm_allow keeps only the addresses inside its networks;
# ports= refuses a label's port outside its range.

use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();

my (@services, @tasks);
my $n = 0;

# an upstream u<n> of one service with a task at each address given

sub upstream {
    my ($labels, @addrs) = @_;
    $n++;
    my $s = fake_service($n, "svc$n", { 'swarm.upstream' => "u$n",
        'swarm.port' => "$p", %$labels });
    push @services, $s;
    my $k = 0;
    for my $a (@addrs) {
        my $task = fake_task($s, sprintf 'tsk%019d%03d', $n, ++$k);
        $task->{NetworksAttachments}[0]{Addresses} = [$a];
        push @tasks, $task;
    }
    return "u$n";
}

my %refused = (
    '0.0.0.5/8' => 'this network, 0.0.0.0/8',
    '169.254.169.254/16' => 'link-local, 169.254.0.0/16',
    '224.0.0.1/24' => 'multicast',
    '255.255.255.255/32' => 'broadcast',
    '::/64' => 'unspecified',
    'fe80::1/64' => 'link-local',
    'ff02::1/64' => 'multicast',
    '::ffff:169.254.169.254/96' => 'link-local, 169.254.0.0/16',
);
my %up = map { ($_ => upstream({}, $_, '10.0.23.1/24')) } sort keys %refused;

my $low = upstream({ 'swarm.port' => '22' }, '10.0.23.2/24');
my $ok = upstream({ 'swarm.port' => '8080' }, '10.0.23.3/24');

$t->start_api(services => \@services, tasks => \@tasks);

my $ups = join "\n", map { "    upstream u$_ { swarm_service label=swarm.upstream=u$_ "
    . ($_ == $n - 1 || $_ == $n ? 'ports=8000-8999' : '') . "; }" } 1 .. $n;

$t->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;
$ups
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOF
$t->start_nginx;

sub upstreams {
    my $s = $t->status or return {};
    return $s->{upstreams};
}

ok(wait_for(sub { (upstreams()->{$ok}{active} // 0) == 1 }, 10),
    'discovered');
my $u = upstreams();

for my $a (sort keys %refused) {
    my ($ip) = $a =~ m{^(.*)/};
    my $x = $u->{$up{$a}};
    is_deeply([map { $_->{address} } @{ $x->{peers} }], ["127.0.23.1:$p"],
        "$ip is no peer");
    like($x->{last_error} // '', qr/task \w+ has the address \Q$ip\E \(\Q$refused{$a}\E\), never used, skipped/,
        "and swarm_status says why: $refused{$a}");
}

is(scalar @{ $u->{$low}{peers} }, 0, 'a label port outside ports= is refused');
like($u->{$low}{last_error} // '',
    qr/service "svc\d+": swarm\.port label 22 is outside ports=8000-8999, skipped/,
    'and said');
is_deeply([map { $_->{address} } @{ $u->{$ok}{peers} }], ['127.0.23.3:8080'],
    'a port inside is used');

$t->finish;

# swarm_allow: only the addresses inside its networks

my $a = SwarmTest->new;
@services = ();
@tasks = ();
$n = 0;
my $in = upstream({}, '10.0.23.1/24', '10.0.24.1/24', '10.0.25.1/24');
$a->start_api(services => \@services, tasks => \@tasks);
$a->conf(<<"EOF");
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;
    swarm_allow 127.0.23.0/24;
    swarm_allow 127.0.25.1/32;
    upstream $in { swarm_service label=swarm.upstream=$in; }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOF
$a->start_nginx;
my $x;
ok(wait_for(sub { $x = $a->status && $a->status->{upstreams}{$in};
    $x && @{ $x->{peers} || [] } }, 10), 'discovered');
is_deeply([sort map { $_->{address} } @{ $x->{peers} }],
    ["127.0.23.1:$p", "127.0.25.1:$p"], 'swarm_allow keeps what is inside');
like($x->{last_error} // '',
    qr/task \w+ has the address 127\.0\.24\.1, outside swarm_allow, skipped/,
    'and says what it left out');
$a->finish;

# without swarm_allow, loopback addresses are left out: a task there
# would make the load balancer connect to itself

my $l = SwarmTest->new;
$l->start_api(services => \@services, tasks => \@tasks);
$l->conf(<<"EOF", loopback => 0);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;
    upstream $in { swarm_service label=swarm.upstream=$in; }
    server {
        listen 127.0.0.1:%%PORT%%;
        location = /swarm { swarm_status; }
    }
EOF
$l->start_nginx;
ok(wait_for(sub { $x = $l->status && $l->status->{upstreams}{$in};
    $x && ($x->{last_error} // '') =~ /loopback/ }, 10),
    'loopback addresses, no swarm_allow: said')
    or diag explain $x;
is_deeply($x->{peers}, [], 'and none is a peer');
like($x->{last_error} // '',
    qr/task \w+ has the address 127\.0\.23\.1 \(loopback\), skipped unless swarm_allow names it/,
    'the note names the task, its address and why');
unlike($l->read_file('nginx.conf'), qr/swarm_allow/,
    'the test itself allows no loopback here');
$l->finish;

done_testing;
