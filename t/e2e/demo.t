#!/usr/bin/perl

# The README's main command, as a user runs it: docker/demo.sh (what
# "make demo" runs) on a real Docker engine and swarm, twice in a row:
# the second run finds the first one's stack and its second service
# there, and updates the stack in place.  As its own stack, on free
# ports; removed at the end.

use strict;
use warnings;
use Test::More;
use Cwd qw(abs_path);
use FindBin;
use lib "$FindBin::Bin/../lib";
use SwarmTest;

my $top = abs_path('.');
my $stack = 'swarmdemo';

$ENV{STACK} = $stack;
$ENV{LB_PORT} = free_port();
$ENV{STATUS_PORT} = free_port();

END { system("$top/docker/demo.sh down >/dev/null 2>&1") if $top }

for my $run (1, 2) {
    my $out = `$top/docker/demo.sh 2>&1`;
    is($?, 0, "the demo, run $run, succeeds") or diag $out;
    like($out, qr/The stack "$stack" is up/, "run $run: the stack is up");
    like($out, qr/A visitor that keeps its cookie stays on one task/,
        "run $run: stickiness shown");
    my ($kept) = $out =~ /stays on one task:\n  cookie: \S+\n((?:  .*\n){6})/;
    my %who = map { (split ' ')[0] => 1 } split /\n/, $kept // '';
    is(scalar keys %who, 1, "run $run: the six answers with the cookie, "
        . 'from one task') or diag $kept;
    like($out, qr/running, and answering at Host: hello\.localhost \d+ ms later/,
        "run $run: the second service is routed by its labels");
}

is(system("$top/docker/demo.sh down >/dev/null 2>&1"), 0, 'demo-down');
is(system("docker service inspect ${stack}_app >/dev/null 2>&1") >> 8, 1,
    'the stack is gone');

done_testing;
