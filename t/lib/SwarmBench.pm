package SwarmBench;

# What the benchmarks in t/bench share: wrk rounds interleaved over
# proxies and workloads, each round starting with the next proxy so that
# none is always measured first, medians, and ratios of the same rounds.
#
#   my $rps = SwarmBench::rounds(dir => $dir, rounds => 5, seconds => 5,
#       connections => 32, workloads => [qw(new returning)],
#       proxies => [name => [port, [cookie, ...], path], ...]);
#   SwarmBench::median(@{ $rps->{name}{new} });
#   SwarmBench::ratio($rps->{a}{new}, $rps->{b}{new});
#
# A returning visitor sends the proxy's cookies in turn; a new one sends
# none.  Any non-2xx answer ends the run.

use strict;
use warnings;
use Exporter 'import';

our @EXPORT_OK = qw(rounds median ratio);

sub script {
    my ($file, @cookies) = @_;
    open my $fh, '>', $file or die "$file: $!";
    if (@cookies) {
        print $fh 'local c = {' . join(',', map { "\"$_\"" } @cookies)
            . "}\nlocal i = 0\nrequest = function()\n"
            . "  i = i % #c + 1\n"
            . "  return wrk.format(nil, nil, { Cookie = c[i] })\nend\n";
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
                my ($port, $cookies, $path) = @$how;
                my $ret = $workload eq 'returning';
                my $lua = script("$o{dir}/$p-$workload.lua",
                    $ret ? @$cookies : ());
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
