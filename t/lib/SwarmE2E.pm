package SwarmE2E;

# What the end-to-end tests (t/e2e) share: the Docker API as the engine
# answers it, the time a task turned running, and sticky clients in the
# background.
#
#   my @pids = SwarmE2E::clients(dir => $dir, n => 8, seconds => 60,
#       port => $lb, host => 'a.example', cookie => qr/^(route_\w+=[^;]+)/);
#   my ($ok, $bad, $moved) = SwarmE2E::collect($dir, @pids);

use strict;
use warnings;
use JSON::PP;
use POSIX ();
use Time::HiRes qw(time sleep);
use SwarmTest ();
use Test::More ();
use Exporter qw(import);

our @EXPORT_OK = qw(say_diag);

# GET $path of the engine's API on its own socket
sub api {
    my ($path) = @_;
    my $json = `curl -s --unix-socket /var/run/docker.sock 'http://localhost/v1.41$path'`;
    return decode_json($json);
}

# the tasks of a service that run and that Swarm wants running
sub tasks_running {
    my ($service) = @_;
    my $f = '{"service":["' . $service . '"],"desired-state":["running"]}';
    $f =~ s/([^\w])/sprintf '%%%02X', ord $1/ge;
    return grep { $_->{Status}{State} eq 'running' }
        @{ api("/tasks?filters=$f") };
}

# a task's address on its first network, and when it turned running
sub task_addr {
    my ($task) = @_;
    my ($addr) = map { @{ $_->{Addresses} } }
        @{ $task->{NetworksAttachments} };
    $addr =~ s{/\d+$}{};
    return $addr;
}

sub running_at {
    my ($task) = @_;
    my ($Y, $M, $D, $h, $m, $s, $frac) = $task->{Status}{Timestamp}
        =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)(?:\.(\d+))?Z$/ or return;
    return POSIX::mktime($s, $m, $h, $D, $M - 1, $Y - 1900)
        - POSIX::mktime(gmtime(0)) + ("0." . ($frac // 0));
}

# $o{n} clients, each requesting "/" of 127.0.0.1:$o{port} (with Host
# $o{host} if given) one after another, about 30 a second, a new
# connection each, keeping the cookie $o{cookie} matches, until
# collect() or $o{seconds}; each writes "ok bad moved" to $o{dir}, and
# what failed to $o{dir}/errors

sub clients {
    my (%o) = @_;
    my @pids;
    for my $c (1 .. $o{n}) {
        my $pid = fork();
        die "fork: $!" unless defined $pid;
        if ($pid == 0) {
            my ($ok, $bad, $moved, $cookie) = (0, 0, 0, undef);
            my $end = time + $o{seconds};
            while (time < $end && $ok + $bad < 50000
                   && !-e "$o{dir}/stop") {
                my $r = SwarmTest::http_get($o{port}, '/',
                    $o{host} ? "Host: $o{host}" : (),
                    $cookie ? "Cookie: $cookie" : ());
                if ($r->{status} != 200) {
                    $bad++;
                    open my $e, '>>', "$o{dir}/errors";
                    print $e "client $c: status $r->{status} "
                        . ($r->{error} // $r->{raw}) . "\n";
                    close $e;
                    next;
                }
                $ok++;

                # new connections every time: TIME_WAIT must not use up
                # the client ports
                sleep 0.03;

                if (my ($k) = ($r->{cookies}[0] // '') =~ $o{cookie}) {
                    $moved++ if $cookie;
                    $cookie = $k;
                }
            }
            open my $fh, '>', "$o{dir}/client.$c";
            print $fh "$ok $bad $moved\n";
            close $fh;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    return @pids;
}

sub collect {
    my ($dir, @pids) = @_;
    open my $fh, '>', "$dir/stop";
    close $fh;
    waitpid $_, 0 for @pids;
    unlink "$dir/stop";
    my ($ok, $bad, $moved) = (0, 0, 0);
    for my $c (1 .. @pids) {
        open my $in, '<', "$dir/client.$c" or next;
        my @v = split ' ', scalar <$in>;
        $ok += $v[0];
        $bad += $v[1];
        $moved += $v[2];
        close $in;
        unlink "$dir/client.$c";
    }
    return ($ok, $bad, $moved);
}

# a figure the run measured, said now and again at the end if a test
# failed (a log's tail may be all that is kept of a run)

my @said;

sub say_diag {
    my ($text) = @_;
    push @said, $text;
    Test::More::diag($text);
}

END {
    if (@said && !Test::More->builder->is_passing) {
        Test::More::diag('what this run measured:');
        Test::More::diag("  $_") for @said;
    }
}

1;
