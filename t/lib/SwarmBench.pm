package SwarmBench;

# What the benchmarks in t/bench share: wrk rounds interleaved over
# proxies and workloads, each round starting with the next proxy so that
# none is always measured first, medians, and ratios of the same rounds.
#
#   my $rps = SwarmBench::rounds(dir => $dir, rounds => 5, seconds => 5,
#       connections => 32, workloads => [qw(new returning)],
#       proxies => [name => [port, [cookie, ...], path, [host, ...]], ...]);
#   SwarmBench::median(@{ $rps->{name}{new} });
#   SwarmBench::ratio($rps->{a}{new}, $rps->{b}{new});
#
# A returning visitor sends the proxy's cookies in turn; a new one sends
# none.  Where hosts are given, requests send them in turn as Host (the
# n-th cookie with the n-th host).  Any non-2xx answer ends the run.

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(rounds median ratio backends report);


# the backends: one nginx (no module) answering its address on each
# address given, at $port; stopped by stop_backends()

sub backends {
    my ($t, $port, @addrs) = @_;
    my $dir = $t->dir;
    open my $fh, '>', "$dir/backends.conf" or die $!;
    print $fh "daemon on; worker_processes 1; pid $dir/backends.pid;\n"
        . "error_log $dir/backends.log; events { worker_connections 4096; }\n"
        . "http { access_log off; keepalive_requests 100000;\n"
        . join('', map { "server { listen $_:$port; location / { return 200 \"$_\\n\"; } }\n" } @addrs)
        . "}\n";
    close $fh;
    system($t->{nginx}, '-p', "$dir/", '-c', "$dir/backends.conf") == 0
        or die 'backends did not start';
}

sub stop_backends {
    my ($t) = @_;
    my $dir = $t->dir;
    system("$t->{nginx} -p $dir/ -c $dir/backends.conf -s stop 2>/dev/null");
}

sub script {
    my ($file, $cookies, $hosts) = @_;
    my @h;
    push @h, ['Cookie', $cookies] if @$cookies;
    push @h, ['Host', $hosts] if @$hosts;
    open my $fh, '>', $file or die "$file: $!";
    if (@h) {
        my ($n) = sort { $b <=> $a } map { scalar @{ $_->[1] } } @h;
        print $fh join('', map {
                "local $_->[0] = {"
                . join(',', map { "\"$_\"" } @{ $_->[1] }) . "}\n" } @h)
            . "local i = 0\nrequest = function()\n"
            . "  i = i % $n + 1\n"
            . "  return wrk.format(nil, nil, { "
            . join(', ', map { "$_->[0] = $_->[0]\[(i - 1) % #$_->[0] + 1]" }
                   @h)
            . " })\nend\n";
    } else {
        print $fh "request = function() return wrk.format() end\n";
    }
    close $fh;
    return $file;
}

sub rounds {
    my (%o) = @_;
    my @proxies = @{ $o{proxies} };
    my $n = @proxies / 2;
    my %rps;
    for my $round (1 .. $o{rounds}) {
        for my $workload (@{ $o{workloads} }) {
            for my $k (0 .. $n - 1) {
                my $i = 2 * (($k + $round - 1) % $n);
                my ($p, $how) = @proxies[$i, $i + 1];
                my ($port, $cookies, $path, $hosts) = @$how;
                my $ret = $workload eq 'returning';
                my $lua = script("$o{dir}/$p-$workload.lua",
                    $ret ? $cookies : [], $hosts || []);
                $path = $ret ? '/' : $path // '/';
                my $out = `wrk -t1 -c$o{connections} -d$o{seconds}s -s $lua http://127.0.0.1:$port$path 2>&1`;
                my ($v) = $out =~ /Requests\/sec:\s+([\d.]+)/
                    or die "wrk: $out";
                my ($errors) = $out =~ /Non-2xx or 3xx responses: (\d+)/;
                die "$p $workload: $errors failed responses\n$out"
                    if $errors;
                push @{ $rps{$p}{$workload} }, $v;
                printf "round %d  %-9s %-9s %10.0f req/s\n", $round,
                    $workload, $p, $v;
            }
        }
    }
    return \%rps;
}

# the medians of each proxy and workload, then the ratios asked for
# (["a", "b"]: a/b), as the benchmarks print them

sub report {
    my ($rps, %o) = @_;
    print "\nmedian req/s ($o{title})\n";
    printf "%-10s" . (" %12s" x @{ $o{workloads} }) . "\n", 'workload',
        @{ $o{workloads} };
    for my $p (@{ $o{proxies} }) {
        printf "%-10s" . (" %12.0f" x @{ $o{workloads} }) . "\n", $p,
            map { median(@{ $rps->{$p}{$_} }) } @{ $o{workloads} };
    }
    print "\nspread of the rounds (lowest-highest req/s)\n";
    for my $p (@{ $o{proxies} }) {
        printf "%-10s" . (" %12s" x @{ $o{workloads} }) . "\n", $p,
            map { sprintf '%.0f-%.0f', spread(@{ $rps->{$p}{$_} }) }
            @{ $o{workloads} };
    }
    print "\nratios (medians of the ratios round by round, and their "
        . "lowest-highest)\n";
    for my $w (@{ $o{workloads} }) {
        printf "%-9s %s\n", $w, join '   ', map {
            my ($a, $b) = ($rps->{$_->[0]}{$w}, $rps->{$_->[1]}{$w});
            sprintf '%s/%s %.3f (%.3f-%.3f)', @$_, ratio($a, $b),
                spread(map { $a->[$_] / $b->[$_] } 0 .. $#$a) }
            @{ $o{ratios} };
    }
}

# the lowest and the highest of the rounds

sub spread {
    my @v = sort { $a <=> $b } @_;
    return ($v[0], $v[-1]);
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

# a against b: the median of their ratios round by round, as the two
# ran within seconds of each other, on the same state of the machine

sub ratio {
    my ($a, $b) = @_;
    return median(map { $a->[$_] / $b->[$_] } 0 .. $#$a);
}

1;
