#!/usr/bin/perl

# What swarm_status and the error log say of services skipped and of
# what Docker sent: every such service gets an error naming it, text is
# cut on a character boundary and never dropped, Docker's text cannot
# start a log line of its own, a note is logged once while it lasts,
# one outsized task is skipped without holding the worker, and the
# password of an endpoint is never shown.

use strict;
use warnings;
use Test::More;
use Time::HiRes qw(time sleep);
use JSON::PP;
use FindBin;
use lib "$FindBin::Bin/lib";
use SwarmTest;

my $t = SwarmTest->new;
my $p = free_port();
my $att = fake_task(fake_service(0, 'x', {}), 'x')->{NetworksAttachments}[0];

my (@services, @tasks);
my $n = 0;

# a service of its own, named $name with the labels given, and one
# running task of it on each of the networks given (name => address)

sub service {
    my ($name, $labels, @nets) = @_;
    $n++;
    my $s = fake_service($n, $name, { 'swarm.upstream' => "u$n", %$labels });
    push @services, $s;
    my $k = fake_task($s, sprintf 'tsk%022d', $n);
    $k->{NetworksAttachments} = [ map {
        my ($net, $addr) = @$_;
        my $a = decode_json(encode_json($att));
        $a->{Network}{Spec}{Name} = $net;
        $a->{Network}{ID} = substr(sprintf('net%s', unpack 'H*', $net), 0, 25);
        $a->{Network}{Spec}{Ingress} = JSON::PP::true if $net eq 'ingress';
        $a->{Addresses} = [ $addr ];
        $a } @nets ];
    push @tasks, $k;
    return ("u$n", $k);
}

my $e20 = "\x{e9}" x 20;
my ($u_utf8) = service('svc-utf8', { 'swarm.port' => "a$e20" },
    ['mystack_net', '10.0.5.1/24']);
my $forged = "2026/12/02 00:00:00 [emerg] 1#1: forged";
my ($u_nl) = service('svc-newline', { 'swarm.port' => "1\n$forged" },
    ['mystack_net', '10.0.5.2/24']);
my ($u_long) = service('l' x 63, { 'swarm.port' => "$p" },
    ['n' x 63, '10.0.5.3/24'], ['m' x 63, '10.0.6.3/24']);
my ($u_ingress) = service('svc-ingress', { 'swarm.port' => "$p" },
    ['ingress', '10.0.0.4/24']);
my ($u_longnet) = service('svc-longnet', { 'swarm.port' => "$p" },
    ['x' x 64, '10.0.5.5/24']);
my ($u_big, $big) = service('svc-big', { 'swarm.port' => "$p" },
    ['mystack_net', '10.0.5.6/24']);
my ($u_many, $many) = service('svc-many', { 'swarm.port' => "$p" },
    map { ["net$_", "10.0.7.$_/24"] } 1 .. 100);

# 1,000,000 empty attachments: 3 MB of JSON in one task (below)

# a service of 300 KB of labels: skipped unparsed

my ($u_huge) = service('svc-huge', { 'swarm.port' => "$p",
    map { ("label$_" => 'v' x 100) } 1 .. 3000 },
    ['mystack_net', '10.0.5.8/24']);

my @ups = map { "u$_" } 1 .. $n;
my $upstreams = join "\n", map {
    "    upstream $_ { swarm_service label=swarm.upstream=$_; }" } @ups;
my $locations = join "\n", map {
    "        location /$_ { proxy_pass http://$_; }" } @ups;

# served byte for byte: the stand-in would parse 3 MB at every request

# (and the attachments of the large task last, as the engine writes them)

delete $big->{NetworksAttachments};
my $json = JSON::PP->new->canonical->encode(\@tasks);
my $atts = ',"NetworksAttachments":[' . join(',', ('{}') x 1000000) . ']';
$json =~ s/("ID":"$big->{ID}".*?"Status":\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})/$1$atts/s
    or die 'no large task';
sub write_tasks {
    my ($json) = @_;
    for my $f ('tasks.json', 'tasks.running.json') {
        open my $fh, '>', $t->dir . "/$f.tmp" or die $!;
        print $fh $json;
        close $fh;
        rename $t->dir . "/$f.tmp", $t->dir . "/$f" or die $!;
    }
}
write_tasks($json);
$t->start_api(services => \@services, tasks_raw => $t->dir . '/tasks.json');
$t->conf(<<"EOC", workers => 1);
    swarm_endpoint %%ENDPOINT%%;
    swarm_interval 200ms;
$upstreams
    server {
        listen 127.0.0.1:%%PORT%%;
$locations
        location = /swarm { swarm_status; }
    }
EOC
$t->start_nginx;

sub error_of {
    my ($u) = @_;
    my $s = $t->status('?peers=off') or return undef;
    return exists $s->{upstreams}{$u}{last_error}
        ? ($s->{upstreams}{$u}{last_error} // '') : "no key";
}

ok(wait_for(sub { (error_of($u_many) // '') ne '' }, 10), 'refreshed')
    or diag explain $t->status('?peers=off');

my $err = error_of($u_utf8);
like($err, qr/^service "svc-utf8": invalid swarm\.port label "a\x{e9}+", skipped$/,
    'a label value cut on a character boundary, and shown');
my ($cut) = $err =~ /"a(\x{e9}+)"/;
is(length($cut // ''), 15, 'at 31 bytes, not 32');

like(error_of($u_nl), qr/^service "svc-newline": invalid swarm\.port label "1\n2026/,
    'swarm_status shows the text as it is');
unlike($t->error_log, qr/^\Q$forged\E/m, 'no line of the log is forged');
like($t->error_log, qr/invalid swarm\.port label "1\\x0a2026/,
    'the log shows the line break escaped');

like(error_of($u_long), qr/^service "l{63}": tasks are attached to several networks \(n{63}, m{63}\): set networ$/,
    'a long note, cut to 256 bytes');
is(length(error_of($u_long)), 256, 'of 256 bytes');

like(error_of($u_ingress), qr/^service "svc-ingress": running tasks are attached to no network but ingress: attach the service to an overlay network or set network=, skipped$/,
    'a service on ingress alone');
like(error_of($u_longnet), qr/^service "svc-longnet": the name of the network its tasks are attached to is over 63 bytes, skipped$/,
    'a network name too long');

like(error_of($u_big), qr/^service "svc-big": task $big->{ID} is over 64 KB of JSON, skipped$/,
    'a task over 64 KB is skipped');
like(error_of($u_many), qr/^service "svc-many": task $many->{ID} has more than 64 network attachments, skipped$/,
    'a task with too many attachments is skipped');

like(error_of($u_huge), qr/^service "\(not parsed\)": a service of \d+ bytes of JSON, over the 256 KB one may take, skipped$/,
    'a service over 256 KB is skipped');

# the best of five refreshes, each with the large task changed (new to
# the worker), so that one preemption of the worker on a busy machine
# does not decide it

my @steps;
for my $i (1 .. 5) {
    (my $changed = $json) =~ s/("ID":"$big->{ID}".*?"Index":)\d+/$1$i/s;
    write_tasks($changed);
    sleep 0.5;
    push @steps, $t->status('?peers=off')->{sync_longest_step_us};
}
my ($step) = sort { $a <=> $b } @steps;
my $bound = ($ENV{SWARM_ASAN} ? 30 : 12) * 1000;
cmp_ok($step, '<', $bound,
    "no step of a refresh with a 3 MB task over $bound us");
diag "longest step of refreshes with a 3 MB task: @steps us";
my ($worker) = $t->worker_pids;
cmp_ok(rss($worker), '<', rss_slack(80 * 1024), 'worker memory stays low');

# the notes again at every refresh (5 a second): logged once each

sleep 2;
for my $what ('svc-utf8', 'l{63}', 'svc-ingress', 'svc-big') {
    is(scalar(() = $t->error_log =~ /upstream "u\d+": service "$what"/g), 1,
        "logged once: $what");
}

$t->finish;

# an endpoint with a password, failing: the password is never shown

my $m = SwarmTest->new;
my $closed = free_port();
$m->conf_app($p, 'swarm_interval 200ms;',
    endpoint => "http://user:s3cret\@127.0.0.1:$closed");
$m->start_nginx;
ok(wait_for(sub { $m->error_log =~ /Docker API at/ }, 5), 'a failure logged');
is($m->status->{endpoint}, "http://user:***\@127.0.0.1:$closed",
    'swarm_status masks the password');
like($m->error_log, qr{Docker API at http://user:\*\*\*\@127\.0\.0\.1:$closed failed},
    'so does the log');
unlike($m->error_log . encode_json($m->status), qr/s3cret/,
    'the password shows nowhere');

$m->done_testing;
