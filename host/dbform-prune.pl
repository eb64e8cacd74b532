#!/usr/bin/perl
# dbform-prune: installed and kept by dbform apply; changes made here are reverted.
# Retention on the host, after each backup cron takes: the same rules as src/backups/retention.ts (a
# property test runs both on random histories and requires the same answer). Perl, because perl-base is
# on every Debian system and in the add-on's image; only POSIX is used.
#
# stdin: the add-on's manifests, one JSON object per line (as dbform-backup writes them).
# env:   TIMEZONE, RETENTION_DAILY, RETENTION_WEEKLY, RETENTION_MONTHLY, RETENTION_MANUAL, NOW (epoch seconds; default: now).
# stdout: the ids to prune, one per line, oldest first.
use strict;
use warnings;
use POSIX qw(floor tzset);

my %limit = map { $_ => int($ENV{"RETENTION_" . uc $_} // 0) } qw(daily weekly monthly manual);
my $now = $ENV{NOW} // time;
$ENV{TZ} = $ENV{TIMEZONE} // 'UTC';
tzset();

# Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil): no time zone involved.
sub days_from_civil {
  my ($y, $m, $d) = @_;
  $y -= $m <= 2 ? 1 : 0;
  my $era = floor($y / 400);
  my $yoe = $y - $era * 400;
  my $doy = floor((153 * ($m + ($m > 2 ? -3 : 9)) + 2) / 5) + $d - 1;
  my $doe = $yoe * 365 + floor($yoe / 4) - floor($yoe / 100) + $doy;
  return $era * 146097 + $doe - 719468;
}

sub epoch_of {    # "2026-11-22T03:00:00Z" (optionally with fractions) -> seconds; undef otherwise
  my ($s) = @_;
  return undef unless defined $s && $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?Z$/;
  return days_from_civil($1, $2, $3) * 86400 + $4 * 3600 + $5 * 60 + $6;
}

sub periods {    # local day, ISO week and month numbers of an instant, in TIMEZONE
  my @t = localtime($_[0]);
  my $day = days_from_civil($t[5] + 1900, $t[4] + 1, $t[3]);
  return ($day, floor(($day + 3) / 7), ($t[5] + 1900) * 12 + $t[4]);
}

my (@past, %keep);
while (my $line = <STDIN>) {
  my %r;
  for my $f (qw(id kind status startedAt)) { $r{$f} = $1 if $line =~ /"$f":"([^"]*)"/ }
  next unless defined $r{id};
  $r{verified} = $line =~ /"verified":true/ ? 1 : 0;
  $r{at} = epoch_of($r{startedAt});
  if (!defined $r{at} || $r{at} > $now) { $keep{$r{id}} = 1; next }
  my $st = $r{status} // '';
  $st = $r{status} = 'failed' if $st eq 'running' && $now - $r{at} >= 86400;    # died without its final record
  if ($st ne 'ok' && $st ne 'failed') { $keep{$r{id}} = 1; next }
  push @past, \%r;
}
@past = sort { $b->{at} <=> $a->{at} || $b->{id} cmp $a->{id} } @past;    # newest first
my @good = grep { $_->{status} eq 'ok' } @past;
my ($newest_verified) = grep { $_->{verified} } @good;
$keep{$newest_verified->{id}} = 1 if $newest_verified;

my ($now_day, $now_week, $now_month) = periods($now);
my (%day, %week, %month);
for my $r (grep { ($_->{kind} // '') eq 'daily' } @good) {
  my ($d, $w, $m) = periods($r->{at});
  $day{$d} //= $r;
  $week{$w} //= $r;
  $month{$m} //= $r;
}
$now_day - $_ < $limit{daily} and $keep{$day{$_}{id}} = 1 for keys %day;
$now_week - $_ < $limit{weekly} and $keep{$week{$_}{id}} = 1 for keys %week;
$now_month - $_ < $limit{monthly} and $keep{$month{$_}{id}} = 1 for keys %month;

my @manual = grep { ($_->{kind} // '') eq 'manual' } @good;
$keep{$_->{id}} = 1 for @manual[0 .. ($limit{manual} < @manual ? $limit{manual} : scalar @manual) - 1];

my ($newest_kept_good) = grep { $keep{$_->{id}} } @good;
for my $r (@past) {
  $keep{$r->{id}} = 1 if $r->{status} eq 'failed' && (!$newest_kept_good || $r->{at} >= $newest_kept_good->{at});
}
my %seen;
print "$_->{id}\n" for grep { !$keep{$_->{id}} && !$seen{$_->{id}}++ } sort { $a->{at} <=> $b->{at} || $a->{id} cmp $b->{id} } @past;
