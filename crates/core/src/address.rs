//! Addresses and ports as rules write them, and the sets they resolve to.
//!
//! A rule header says `$HOME_NET any -> [10.0.0.0/8,!10.1.0.0/16] 443`. The
//! written form ([`AddrSpec`], [`PortSpec`]) keeps variables and negations so
//! it can be shown and rendered back; compiling resolves it, once per rule
//! group, into flat sorted range sets ([`IpSet`], [`PortSet`]) that answer
//! "is this address in?" with a binary search.
//!
//! Suricata's list semantics: a list is the union of its positive items minus
//! the union of its negated items; a list with only negated items starts from
//! "any".

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// An address as written in a rule header or a variable definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrSpec {
    /// `any`.
    Any,
    /// A CIDR block or single address.
    Net(IpNet),
    /// `$NAME`.
    Var(String),
    /// `!spec`.
    Not(Box<AddrSpec>),
    /// `[a, b, ...]`.
    List(Vec<AddrSpec>),
}

impl AddrSpec {
    /// `$HOME_NET`.
    pub fn home_net() -> AddrSpec {
        AddrSpec::Var("HOME_NET".into())
    }

    /// `$EXTERNAL_NET`.
    pub fn external_net() -> AddrSpec {
        AddrSpec::Var("EXTERNAL_NET".into())
    }

    /// Every variable this spec names, in order.
    pub fn variables(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_variables(&mut out);
        out
    }

    fn collect_variables<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            AddrSpec::Var(name) => out.push(name),
            AddrSpec::Not(inner) => inner.collect_variables(out),
            AddrSpec::List(items) => items.iter().for_each(|i| i.collect_variables(out)),
            AddrSpec::Any | AddrSpec::Net(_) => {}
        }
    }

    /// Resolves to a set, looking variables up in `vars`. Returns the name of
    /// the first undefined variable as the error.
    pub fn resolve(&self, vars: &dyn Fn(&str) -> Option<IpSet>) -> Result<IpSet, String> {
        Ok(match self {
            AddrSpec::Any => IpSet::any(),
            AddrSpec::Net(net) => IpSet::from_net(*net),
            AddrSpec::Var(name) => vars(name).ok_or_else(|| name.clone())?,
            AddrSpec::Not(inner) => inner.resolve(vars)?.complement(),
            AddrSpec::List(items) => {
                let mut include = IpSet::empty();
                let mut exclude = IpSet::empty();
                let mut any_positive = false;
                for item in items {
                    match item {
                        AddrSpec::Not(inner) => exclude = exclude.union(&inner.resolve(vars)?),
                        other => {
                            any_positive = true;
                            include = include.union(&other.resolve(vars)?);
                        }
                    }
                }
                if !any_positive {
                    include = IpSet::any();
                }
                include.difference(&exclude)
            }
        })
    }
}

impl fmt::Display for AddrSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddrSpec::Any => f.write_str("any"),
            AddrSpec::Net(net) => write!(f, "{net}"),
            AddrSpec::Var(name) => write!(f, "${name}"),
            AddrSpec::Not(inner) => write!(f, "!{inner}"),
            AddrSpec::List(items) => write_list(f, items),
        }
    }
}

fn write_list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, items: &[T]) -> fmt::Result {
    f.write_str("[")?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(",")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str("]")
}

/// A port as written in a rule header or a port variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortSpec {
    /// `any`.
    Any,
    /// `443`.
    Port(u16),
    /// `1024:65535` (both ends included).
    Range(u16, u16),
    /// `$NAME`.
    Var(String),
    /// `!spec`.
    Not(Box<PortSpec>),
    /// `[80,443,8000:8100]`.
    List(Vec<PortSpec>),
}

impl PortSpec {
    /// Resolves to a set, looking port variables up in `vars`.
    pub fn resolve(&self, vars: &dyn Fn(&str) -> Option<PortSet>) -> Result<PortSet, String> {
        Ok(match self {
            PortSpec::Any => PortSet::any(),
            PortSpec::Port(p) => PortSet::range(*p, *p),
            PortSpec::Range(a, b) => PortSet::range(*a.min(b), *a.max(b)),
            PortSpec::Var(name) => vars(name).ok_or_else(|| name.clone())?,
            PortSpec::Not(inner) => inner.resolve(vars)?.complement(),
            PortSpec::List(items) => {
                let mut include = PortSet::empty();
                let mut exclude = PortSet::empty();
                let mut any_positive = false;
                for item in items {
                    match item {
                        PortSpec::Not(inner) => exclude = exclude.union(&inner.resolve(vars)?),
                        other => {
                            any_positive = true;
                            include = include.union(&other.resolve(vars)?);
                        }
                    }
                }
                if !any_positive {
                    include = PortSet::any();
                }
                include.difference(&exclude)
            }
        })
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PortSpec::Any => f.write_str("any"),
            PortSpec::Port(p) => write!(f, "{p}"),
            PortSpec::Range(a, b) => write!(f, "{a}:{b}"),
            PortSpec::Var(name) => write!(f, "${name}"),
            PortSpec::Not(inner) => write!(f, "!{inner}"),
            PortSpec::List(items) => write_list(f, items),
        }
    }
}

/// A set of integers kept as sorted, disjoint, non-adjacent inclusive ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct RangeSet<T> {
    ranges: Vec<(T, T)>,
}

/// Integers a [`RangeSet`] can hold.
pub trait Bound: Copy + Ord {
    /// The smallest value.
    const MIN: Self;
    /// The largest value.
    const MAX: Self;
    /// `self + 1`, or `None` at `MAX`.
    fn next(self) -> Option<Self>;
    /// `self - 1`, or `None` at `MIN`.
    fn prev(self) -> Option<Self>;
}

macro_rules! bound {
    ($t:ty) => {
        impl Bound for $t {
            const MIN: Self = <$t>::MIN;
            const MAX: Self = <$t>::MAX;
            fn next(self) -> Option<Self> {
                self.checked_add(1)
            }
            fn prev(self) -> Option<Self> {
                self.checked_sub(1)
            }
        }
    };
}
bound!(u16);
bound!(u32);
bound!(u128);

impl<T: Bound> RangeSet<T> {
    /// The empty set.
    pub fn empty() -> Self {
        RangeSet { ranges: Vec::new() }
    }

    /// Every value.
    pub fn full() -> Self {
        RangeSet { ranges: vec![(T::MIN, T::MAX)] }
    }

    /// `[lo, hi]`.
    pub fn range(lo: T, hi: T) -> Self {
        RangeSet { ranges: vec![(lo, hi)] }
    }

    /// Whether `value` is in the set.
    pub fn contains(&self, value: T) -> bool {
        let i = self.ranges.partition_point(|&(_, hi)| hi < value);
        self.ranges.get(i).is_some_and(|&(lo, _)| lo <= value)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether the set holds every value.
    pub fn is_full(&self) -> bool {
        self.ranges == [(T::MIN, T::MAX)]
    }

    /// The ranges, sorted.
    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    /// Whether every value of `other` is in `self`.
    pub fn covers(&self, other: &Self) -> bool {
        other.difference(self).is_empty()
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &Self) -> Self {
        let mut all: Vec<(T, T)> = self.ranges.iter().chain(&other.ranges).copied().collect();
        all.sort_unstable();
        let mut ranges: Vec<(T, T)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            if let Some(last) = ranges.last_mut()
                && last.1.next().is_none_or(|n| lo <= n)
            {
                last.1 = last.1.max(hi);
                continue;
            }
            ranges.push((lo, hi));
        }
        RangeSet { ranges }
    }

    /// Every value not in `self`.
    pub fn complement(&self) -> Self {
        let mut ranges = Vec::new();
        let mut start = Some(T::MIN);
        for &(lo, hi) in &self.ranges {
            if let Some(s) = start
                && lo > s
                && let Some(end) = lo.prev()
            {
                ranges.push((s, end));
            }
            start = hi.next();
        }
        if let Some(s) = start {
            ranges.push((s, T::MAX));
        }
        RangeSet { ranges }
    }

    /// `self ∖ other`.
    pub fn difference(&self, other: &Self) -> Self {
        self.intersection(&other.complement())
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &Self) -> Self {
        let mut ranges = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.ranges.len() && j < other.ranges.len() {
            let (a_lo, a_hi) = self.ranges[i];
            let (b_lo, b_hi) = other.ranges[j];
            let lo = a_lo.max(b_lo);
            let hi = a_hi.min(b_hi);
            if lo <= hi {
                ranges.push((lo, hi));
            }
            if a_hi < b_hi { i += 1 } else { j += 1 }
        }
        RangeSet { ranges }
    }
}

/// A set of ports.
pub type PortSet = RangeSet<u16>;

impl PortSet {
    /// Every port.
    pub fn any() -> PortSet {
        RangeSet::full()
    }
}

/// A set of IPv4 and IPv6 addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    v4: RangeSet<u32>,
    v6: RangeSet<u128>,
}

impl IpSet {
    /// No address.
    pub fn empty() -> IpSet {
        IpSet::default()
    }

    /// Every address.
    pub fn any() -> IpSet {
        IpSet { v4: RangeSet::full(), v6: RangeSet::full() }
    }

    /// The addresses of one CIDR block.
    pub fn from_net(net: IpNet) -> IpSet {
        match net {
            IpNet::V4(n) => IpSet {
                v4: RangeSet::range(u32::from(n.network()), u32::from(n.broadcast())),
                v6: RangeSet::empty(),
            },
            IpNet::V6(n) => IpSet {
                v4: RangeSet::empty(),
                v6: RangeSet::range(u128::from(n.network()), u128::from(n.broadcast())),
            },
        }
    }

    /// The union of several CIDR blocks.
    pub fn from_nets<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> IpSet {
        nets.into_iter().fold(IpSet::empty(), |set, net| set.union(&IpSet::from_net(*net)))
    }

    /// Whether `addr` is in the set.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match addr {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.contains(u32::from(v4)),
                None => self.v6.contains(u128::from(a)),
            },
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    /// Whether the set holds every address.
    pub fn is_any(&self) -> bool {
        self.v4.is_full() && self.v6.is_full()
    }

    /// Whether every address of `other` is in `self`.
    pub fn covers(&self, other: &IpSet) -> bool {
        self.v4.covers(&other.v4) && self.v6.covers(&other.v6)
    }

    /// `self ∪ other`.
    pub fn union(&self, other: &IpSet) -> IpSet {
        IpSet { v4: self.v4.union(&other.v4), v6: self.v6.union(&other.v6) }
    }

    /// `self ∖ other`.
    pub fn difference(&self, other: &IpSet) -> IpSet {
        IpSet { v4: self.v4.difference(&other.v4), v6: self.v6.difference(&other.v6) }
    }

    /// `self ∩ other`.
    pub fn intersection(&self, other: &IpSet) -> IpSet {
        IpSet { v4: self.v4.intersection(&other.v4), v6: self.v6.intersection(&other.v6) }
    }

    /// Every address not in `self`.
    pub fn complement(&self) -> IpSet {
        IpSet { v4: self.v4.complement(), v6: self.v6.complement() }
    }

    /// One address of the set, preferring IPv4, for building example traffic.
    pub fn first(&self) -> Option<IpAddr> {
        if let Some(&(lo, hi)) = self.v4.ranges().first() {
            // Skip a network address where the range allows it.
            let pick = if hi > lo { lo + 1 } else { lo };
            return Some(IpAddr::V4(pick.into()));
        }
        self.v6
            .ranges()
            .first()
            .map(|&(lo, hi)| IpAddr::V6((if hi > lo { lo + 1 } else { lo }).into()))
    }
}

/// Rule variables of one scope: named IP sets and port sets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables {
    /// `IPSets`: name → definition.
    pub ip_sets: BTreeMap<String, Vec<AddrSpec>>,
    /// `PortSets`: name → definition.
    pub port_sets: BTreeMap<String, Vec<PortSpec>>,
}

impl Variables {
    /// Whether no variable is defined.
    pub fn is_empty(&self) -> bool {
        self.ip_sets.is_empty() && self.port_sets.is_empty()
    }
}

/// The RFC 1918 and RFC 4193 private ranges: what rulesim assumes for
/// `HOME_NET` when a policy does not say (AWS would use the VPC's CIDR, which
/// a file alone does not tell).
pub fn private_ranges() -> Vec<IpNet> {
    ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> AddrSpec {
        AddrSpec::Net(s.parse().unwrap())
    }

    #[test]
    fn list_semantics_follow_suricata() {
        let no_vars = |_: &str| None;
        let spec =
            AddrSpec::List(vec![net("10.0.0.0/8"), AddrSpec::Not(Box::new(net("10.1.0.0/16")))]);
        let set = spec.resolve(&no_vars).unwrap();
        assert!(set.contains("10.2.3.4".parse().unwrap()));
        assert!(!set.contains("10.1.3.4".parse().unwrap()));
        assert!(!set.contains("11.0.0.1".parse().unwrap()));

        let only_negated = AddrSpec::List(vec![AddrSpec::Not(Box::new(net("1.2.3.4/32")))]);
        let set = only_negated.resolve(&no_vars).unwrap();
        assert!(!set.contains("1.2.3.4".parse().unwrap()));
        assert!(set.contains("1.2.3.5".parse().unwrap()));
        assert!(set.contains("::1".parse().unwrap()));

        let missing = AddrSpec::Not(Box::new(AddrSpec::home_net()));
        assert_eq!(missing.resolve(&no_vars), Err("HOME_NET".to_string()));
    }

    #[test]
    fn range_sets_complement_and_merge() {
        let a = RangeSet::<u16>::range(0, 10).union(&RangeSet::range(11, 20));
        assert_eq!(a.ranges(), &[(0, 20)]);
        let c = a.complement();
        assert_eq!(c.ranges(), &[(21, u16::MAX)]);
        assert!(RangeSet::<u16>::full().complement().is_empty());
        assert!(RangeSet::<u16>::empty().complement().is_full());
        let ports = PortSpec::List(vec![
            PortSpec::Range(1000, 2000),
            PortSpec::Not(Box::new(PortSpec::Port(1500))),
        ]);
        let set = ports.resolve(&|_| None).unwrap();
        assert!(
            set.contains(1499) && !set.contains(1500) && set.contains(1501) && !set.contains(80)
        );
    }
}
