//! Service ClusterIP and NodePort allocation, as kube-apiserver 1.32 does it
//! (`pkg/registry/core/service/storage/alloc.go`, the bitmap `ipallocator`
//! and `portallocator`; MultiCIDRServiceAllocator off): single-stack IP
//! families, `clusterIPs` kept in sync with `clusterIP`, headless services,
//! NodePort/LoadBalancer node ports and health-check node ports, values a
//! client omitted on update kept (`patchAllocatedValues`), and release when a
//! service is deleted or changes type.
//!
//! Random allocation prefers the upper ("dynamic") part of each range and
//! falls back to the lower ("static") part, which is reserved for values
//! clients ask for — the `ServiceIPStaticSubrange` /
//! `ServiceNodePortStaticSubrange` split. State is rebuilt from the stored
//! Services the first time an allocator is used.
//!
//! ```
//! use klite_apiserver::services::Cidr;
//! let cidr: Cidr = "10.0.0.0/24".parse().unwrap();
//! assert_eq!(cidr.first_ip().to_string(), "10.0.0.1");
//! assert_eq!(cidr.size(), 254);
//! ```

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Map, Value};

use crate::status::{ApiError, FieldIssue};

/// The default `--service-cluster-ip-range` under envtest.
pub const DEFAULT_SERVICE_CIDR: &str = "10.0.0.0/24";
/// The default `--service-node-port-range`.
pub const DEFAULT_NODE_PORT_RANGE: (u16, u16) = (30000, 32767);

/// A service CIDR: its allocatable addresses are `base + 0 .. base + size`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: u128,
    prefix: u8,
    v6: bool,
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| format!("invalid CIDR address: {s}"))?;
        let ip: IpAddr = addr
            .parse()
            .map_err(|_| format!("invalid CIDR address: {s}"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("invalid CIDR address: {s}"))?;
        let (bits, value, v6) = match ip {
            IpAddr::V4(v4) => (32u8, u128::from(u32::from(v4)), false),
            IpAddr::V6(v6) => (128u8, u128::from(v6), true),
        };
        if prefix > bits {
            return Err(format!("invalid CIDR address: {s}"));
        }
        let host_bits = u32::from(bits - prefix);
        let mask = if host_bits >= 128 {
            0
        } else {
            !((1u128 << host_bits) - 1)
        };
        let network = value & mask & if v6 { u128::MAX } else { u128::from(u32::MAX) };
        Ok(Cidr {
            network,
            prefix,
            v6,
        })
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr(self.network), self.prefix)
    }
}

impl Cidr {
    fn host_bits(&self) -> u32 {
        u32::from(if self.v6 { 128 } else { 32 } - self.prefix)
    }

    /// Addresses in the whole range (network and broadcast included), capped.
    fn range_size(&self) -> u128 {
        let bits = self.host_bits();
        if bits >= 64 {
            u128::from(u64::MAX)
        } else {
            1u128 << bits
        }
    }

    /// Allocatable addresses: IPv4 without network and broadcast, IPv6 without
    /// the network address, at most 65536 (upstream's cap).
    pub fn size(&self) -> u64 {
        let raw = self.range_size();
        let usable = if self.v6 {
            raw.saturating_sub(1)
        } else {
            raw.saturating_sub(2)
        };
        usable.min(65536) as u64
    }

    /// The first allocatable address (the `kubernetes` Service's).
    pub fn first_ip(&self) -> IpAddr {
        self.addr(self.network + 1)
    }

    /// `IPv4` or `IPv6`.
    pub fn family(&self) -> &'static str {
        if self.v6 {
            "IPv6"
        } else {
            "IPv4"
        }
    }

    fn addr(&self, value: u128) -> IpAddr {
        if self.v6 {
            IpAddr::V6(Ipv6Addr::from(value))
        } else {
            IpAddr::V4(Ipv4Addr::from(value as u32))
        }
    }

    /// Offset of an address in the allocatable range.
    fn offset_of(&self, ip: IpAddr) -> Option<u64> {
        let value = match (ip, self.v6) {
            (IpAddr::V4(v4), false) => u128::from(u32::from(v4)),
            (IpAddr::V6(v6), true) => u128::from(v6),
            _ => return None,
        };
        let base = self.network + 1;
        if value < base {
            return None;
        }
        let offset = value - base;
        (offset < u128::from(self.size())).then_some(offset as u64)
    }

    /// The static band at the bottom of the range (`calculateRangeOffset`).
    fn static_band(&self) -> u64 {
        let size = self.range_size();
        if size <= 16 {
            return 0;
        }
        (size / 16).clamp(16, 256) as u64
    }
}

/// The node-port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub base: u16,
    /// Last port (inclusive).
    pub last: u16,
}

impl PortRange {
    fn size(&self) -> u32 {
        u32::from(self.last - self.base) + 1
    }

    fn static_band(&self) -> u32 {
        let size = self.size();
        if size <= 16 {
            return 0;
        }
        (size / 32).clamp(16, 128)
    }

    fn contains(&self, port: i64) -> bool {
        port >= i64::from(self.base) && port <= i64::from(self.last)
    }
}

impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.base, self.last)
    }
}

#[derive(Debug, Default)]
struct Used {
    loaded: bool,
    ips: HashSet<u64>,
    ports: HashSet<u16>,
}

/// Every allocator of one server.
#[derive(Debug)]
pub struct ServiceAllocators {
    cidr: Cidr,
    ports: PortRange,
    used: Mutex<Used>,
}

/// Why a single allocation failed (upstream's allocator errors).
#[derive(Debug, Clone, PartialEq, Eq)]
enum AllocError {
    Full,
    Allocated,
    NotInRange,
}

/// Allocations of one write, released unless committed.
#[derive(Debug)]
pub struct Allocation<'a> {
    owner: &'a ServiceAllocators,
    dry_run: bool,
    new_ips: Vec<u64>,
    new_ports: Vec<u16>,
    release_ips: Vec<u64>,
    release_ports: Vec<u16>,
    committed: bool,
}

impl Allocation<'_> {
    /// The write succeeded: keep new values, release what the change freed.
    pub fn commit(mut self) {
        self.committed = true;
        if self.dry_run {
            return;
        }
        let mut used = self.owner.lock();
        for ip in &self.release_ips {
            used.ips.remove(ip);
        }
        for port in &self.release_ports {
            used.ports.remove(port);
        }
    }
}

impl Drop for Allocation<'_> {
    fn drop(&mut self) {
        if self.committed || self.dry_run {
            return;
        }
        let mut used = self.owner.lock();
        for ip in &self.new_ips {
            used.ips.remove(ip);
        }
        for port in &self.new_ports {
            used.ports.remove(port);
        }
    }
}

fn spec_str<'a>(svc: &'a Value, key: &str) -> &'a str {
    svc.get("spec")
        .and_then(|s| s.get(key))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn cluster_ips(svc: &Value) -> Vec<String> {
    svc.pointer("/spec/clusterIPs")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn needs_cluster_ip(svc: &Value) -> bool {
    spec_str(svc, "type") != "ExternalName"
}

fn needs_node_port(svc: &Value) -> bool {
    matches!(spec_str(svc, "type"), "NodePort" | "LoadBalancer")
}

fn needs_health_check(svc: &Value) -> bool {
    spec_str(svc, "type") == "LoadBalancer" && spec_str(svc, "externalTrafficPolicy") == "Local"
}

fn should_allocate_node_ports(svc: &Value) -> bool {
    match spec_str(svc, "type") {
        "NodePort" => true,
        "LoadBalancer" => svc
            .pointer("/spec/allocateLoadBalancerNodePorts")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        _ => false,
    }
}

fn is_headless(svc: &Value) -> bool {
    spec_str(svc, "clusterIP") == "None"
}

fn has_selector(svc: &Value) -> bool {
    svc.pointer("/spec/selector")
        .and_then(Value::as_object)
        .is_some_and(|s| !s.is_empty())
}

fn node_port_of(port: &Value) -> i64 {
    port.get("nodePort").and_then(Value::as_i64).unwrap_or(0)
}

fn node_ports_in(svc: &Value) -> Vec<u16> {
    let mut out = Vec::new();
    if let Some(ports) = svc.pointer("/spec/ports").and_then(Value::as_array) {
        for p in ports {
            let n = node_port_of(p);
            if n > 0 && n <= i64::from(u16::MAX) && !out.contains(&(n as u16)) {
                out.push(n as u16);
            }
        }
    }
    if let Some(hc) = svc
        .pointer("/spec/healthCheckNodePort")
        .and_then(Value::as_i64)
        .filter(|n| *n > 0 && *n <= i64::from(u16::MAX))
    {
        if !out.contains(&(hc as u16)) {
            out.push(hc as u16);
        }
    }
    out
}

fn spec_mut(svc: &mut Value) -> Option<&mut Map<String, Value>> {
    svc.get_mut("spec").and_then(Value::as_object_mut)
}

fn invalid(name: &str, issues: Vec<FieldIssue>) -> ApiError {
    ApiError::invalid("", "Service", name, issues)
}

fn family_of(ip: &IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

impl ServiceAllocators {
    /// Allocators for a service CIDR (`--service-cluster-ip-range`) and node-port range.
    pub fn new(cidr: Cidr, ports: PortRange) -> Self {
        ServiceAllocators {
            cidr,
            ports,
            used: Mutex::new(Used::default()),
        }
    }

    /// The service CIDR.
    pub fn cidr(&self) -> Cidr {
        self.cidr
    }

    fn lock(&self) -> MutexGuard<'_, Used> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Mark the values of existing Services as used (first use, or after a
    /// store was loaded from elsewhere).
    pub fn load<'a>(&self, services: impl Iterator<Item = &'a Value>) {
        let mut used = self.lock();
        used.loaded = true;
        for svc in services {
            for ip in cluster_ips(svc) {
                if let Some(offset) = ip.parse().ok().and_then(|ip| self.cidr.offset_of(ip)) {
                    used.ips.insert(offset);
                }
            }
            for port in node_ports_in(svc) {
                used.ports.insert(port);
            }
        }
    }

    /// Has [`ServiceAllocators::load`] run?
    pub fn loaded(&self) -> bool {
        self.lock().loaded
    }

    fn start(&self, dry_run: bool) -> Allocation<'_> {
        Allocation {
            owner: self,
            dry_run,
            new_ips: Vec::new(),
            new_ports: Vec::new(),
            release_ips: Vec::new(),
            release_ports: Vec::new(),
            committed: false,
        }
    }

    fn take_ip(&self, txn: &mut Allocation<'_>, ip: IpAddr) -> Result<(), AllocError> {
        let offset = self.cidr.offset_of(ip).ok_or(AllocError::NotInRange)?;
        let mut used = self.lock();
        if used.ips.contains(&offset) || txn.new_ips.contains(&offset) {
            return Err(AllocError::Allocated);
        }
        if !txn.dry_run {
            used.ips.insert(offset);
        }
        txn.new_ips.push(offset);
        Ok(())
    }

    fn next_ip(&self, txn: &mut Allocation<'_>) -> Result<IpAddr, AllocError> {
        let size = self.cidr.size();
        let band = self.cidr.static_band().min(size);
        let mut used = self.lock();
        let free = |o: &u64| !used.ips.contains(o) && !txn.new_ips.contains(o);
        let pick = random_free(band, size, &free).or_else(|| random_free(0, band, &free));
        let offset = pick.ok_or(AllocError::Full)?;
        if !txn.dry_run {
            used.ips.insert(offset);
        }
        txn.new_ips.push(offset);
        Ok(self.cidr.addr(self.cidr.network + 1 + u128::from(offset)))
    }

    fn take_port(&self, txn: &mut Allocation<'_>, port: i64) -> Result<(), AllocError> {
        if !self.ports.contains(port) {
            return Err(AllocError::NotInRange);
        }
        let port = port as u16;
        let mut used = self.lock();
        if used.ports.contains(&port) || txn.new_ports.contains(&port) {
            return Err(AllocError::Allocated);
        }
        if !txn.dry_run {
            used.ports.insert(port);
        }
        txn.new_ports.push(port);
        Ok(())
    }

    fn next_port(&self, txn: &mut Allocation<'_>) -> Result<u16, AllocError> {
        let size = u64::from(self.ports.size());
        let band = u64::from(self.ports.static_band());
        let base = self.ports.base;
        let mut used = self.lock();
        let free = |o: &u64| {
            let p = base + *o as u16;
            !used.ports.contains(&p) && !txn.new_ports.contains(&p)
        };
        let pick = random_free(band, size, &free).or_else(|| random_free(0, band, &free));
        let port = base + pick.ok_or(AllocError::Full)? as u16;
        if !txn.dry_run {
            used.ports.insert(port);
        }
        txn.new_ports.push(port);
        Ok(port)
    }

    fn ip_error(&self, name: &str, ips: &Value, ip: &str, err: AllocError) -> ApiError {
        match err {
            AllocError::Full => {
                ApiError::internal("failed to allocate a serviceIP: range is full")
            }
            AllocError::Allocated => invalid(
                name,
                vec![FieldIssue::invalid(
                    "spec.clusterIPs",
                    ips,
                    &format!("failed to allocate IP {ip}: provided IP is already allocated"),
                )],
            ),
            AllocError::NotInRange => invalid(
                name,
                vec![FieldIssue::invalid(
                    "spec.clusterIPs",
                    ips,
                    &format!(
                        "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {}",
                        self.cidr
                    ),
                )],
            ),
        }
    }

    fn port_error(&self, name: &str, field: &str, port: i64, err: AllocError) -> ApiError {
        let detail = match err {
            AllocError::Full => {
                return ApiError::internal("failed to allocate a nodePort: range is full")
            }
            AllocError::Allocated => "provided port is already allocated".to_string(),
            AllocError::NotInRange => format!(
                "provided port is not in the valid range. The range of valid ports is {}",
                self.ports
            ),
        };
        invalid(
            name,
            vec![FieldIssue::invalid(field, &json!(port), &detail)],
        )
    }

    /// `initIPFamilyFields`: ipFamilyPolicy and ipFamilies for a single-stack cluster.
    fn init_ip_families(
        &self,
        svc: &mut Value,
        old: Option<&Value>,
        name: &str,
    ) -> Result<(), ApiError> {
        if !needs_cluster_ip(svc) {
            return Ok(());
        }
        let old_policy = old
            .and_then(|o| o.pointer("/spec/ipFamilyPolicy"))
            .filter(|p| !p.is_null())
            .cloned();
        let headless = is_headless(svc);
        let selectorless = !has_selector(svc);
        let ips = cluster_ips(svc);
        let Some(spec) = spec_mut(svc) else {
            return Ok(());
        };
        if spec.get("ipFamilyPolicy").is_none_or(Value::is_null) {
            let policy = match old_policy {
                Some(p) => p,
                None if headless && selectorless => json!("RequireDualStack"),
                None => json!("SingleStack"),
            };
            spec.insert("ipFamilyPolicy".into(), policy);
        }
        let policy = spec
            .get("ipFamilyPolicy")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let mut families: Vec<String> = spec
            .get("ipFamilies")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|f| f.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut issues = Vec::new();
        let ips_value = json!(ips);
        for (i, ip) in ips.iter().enumerate() {
            if ip == "None" {
                if i > 0 {
                    issues.push(FieldIssue::invalid(
                        &format!("spec.clusterIPs[{i}]"),
                        &json!(ip),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                    ));
                }
                break;
            }
            match ip.parse::<IpAddr>() {
                Err(_) => issues.push(FieldIssue::invalid(
                    &format!("spec.clusterIPs[{i}]"),
                    &json!(ip),
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )),
                Ok(parsed) => {
                    let family = family_of(&parsed);
                    if i >= families.len() {
                        if family != self.cidr.family() {
                            issues.push(FieldIssue::invalid(
                                &format!("spec.clusterIPs[{i}]"),
                                &ips_value,
                                &format!("{family} is not configured on this cluster"),
                            ));
                        } else {
                            families.push(family.to_string());
                        }
                    }
                }
            }
        }
        if policy == "SingleStack" {
            if ips.len() == 2 {
                issues.push(FieldIssue::invalid(
                    "spec.ipFamilyPolicy",
                    &json!(policy),
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified",
                ));
            }
            if families.len() == 2 {
                issues.push(FieldIssue::invalid(
                    "spec.ipFamilyPolicy",
                    &json!(policy),
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified",
                ));
            }
        }
        if !issues.is_empty() {
            return Err(invalid(name, issues));
        }
        if headless && selectorless {
            if families.is_empty() {
                families.push(self.cidr.family().to_string());
            }
            if families.len() < 2 && policy != "SingleStack" {
                let other = if families[0] == "IPv4" {
                    "IPv6"
                } else {
                    "IPv4"
                };
                families.push(other.to_string());
            }
            spec.insert("ipFamilies".into(), json!(families));
            return Ok(());
        }
        if policy == "RequireDualStack" {
            issues.push(FieldIssue::invalid(
                "spec.ipFamilyPolicy",
                &json!(policy),
                "this cluster is not configured for dual-stack services",
            ));
        }
        for (i, family) in families.iter().enumerate() {
            if family != self.cidr.family() {
                issues.push(FieldIssue::invalid(
                    &format!("spec.ipFamilies[{i}]"),
                    &json!(family),
                    "not configured on this cluster",
                ));
            }
        }
        if !issues.is_empty() {
            return Err(invalid(name, issues));
        }
        if families.is_empty() {
            families.push(self.cidr.family().to_string());
        }
        spec.insert("ipFamilies".into(), json!(families));
        Ok(())
    }

    /// Allocate the requested or a free ClusterIP for a headful service.
    fn alloc_cluster_ips(
        &self,
        txn: &mut Allocation<'_>,
        svc: &mut Value,
        name: &str,
    ) -> Result<(), ApiError> {
        if !needs_cluster_ip(svc) || cluster_ips(svc).first().is_some_and(|ip| ip == "None") {
            return Ok(());
        }
        let ips = cluster_ips(svc);
        let requested = ips.first().cloned().unwrap_or_default();
        let ip = if requested.is_empty() {
            self.next_ip(txn)
                .map_err(|e| self.ip_error(name, &json!(ips), "", e))?
                .to_string()
        } else {
            let parsed: IpAddr = requested.parse().map_err(|_| {
                self.ip_error(name, &json!(ips), &requested, AllocError::NotInRange)
            })?;
            self.take_ip(txn, parsed)
                .map_err(|e| self.ip_error(name, &json!(ips), &requested, e))?;
            parsed.to_string()
        };
        if let Some(spec) = spec_mut(svc) {
            spec.insert("clusterIP".into(), json!(ip));
            let mut list = ips;
            if list.is_empty() {
                list.push(ip.clone());
            } else {
                list[0] = ip;
            }
            spec.insert("clusterIPs".into(), json!(list));
        }
        Ok(())
    }

    /// Node ports of a NodePort/LoadBalancer service (`initNodePorts` / `updateNodePorts`).
    fn alloc_node_ports(
        &self,
        txn: &mut Allocation<'_>,
        svc: &mut Value,
        old: Option<&Value>,
        name: &str,
    ) -> Result<(), ApiError> {
        let old_ports = old.map(node_ports_in).unwrap_or_default();
        if needs_node_port(svc) {
            let allocate_new = should_allocate_node_ports(svc);
            let mut by_service_port: Vec<(i64, i64)> = Vec::new();
            let requested: Vec<(i64, i64)> = svc
                .pointer("/spec/ports")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|p| {
                            (
                                p.get("port").and_then(Value::as_i64).unwrap_or(0),
                                node_port_of(p),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let Some(ports) = spec_mut(svc)
                .and_then(|s| s.get_mut("ports"))
                .and_then(Value::as_array_mut)
            else {
                return Ok(());
            };
            for (i, port) in ports.iter_mut().enumerate() {
                let Some(port) = port.as_object_mut() else {
                    continue;
                };
                let service_port = port.get("port").and_then(Value::as_i64).unwrap_or(0);
                let mut node_port = port.get("nodePort").and_then(Value::as_i64).unwrap_or(0);
                if node_port == 0 && !allocate_new {
                    continue;
                }
                let field = format!("spec.ports[{i}].nodePort");
                if node_port == 0 {
                    if let Some((_, np)) =
                        by_service_port.iter().find(|(sp, _)| *sp == service_port)
                    {
                        node_port = *np;
                    } else if let Some((_, np)) = requested
                        .iter()
                        .skip(i + 1)
                        .find(|(sp, np)| *sp == service_port && *np != 0)
                    {
                        node_port = *np;
                        self.take_port(txn, node_port)
                            .map_err(|e| self.port_error(name, &field, node_port, e))?;
                    } else {
                        node_port = i64::from(
                            self.next_port(txn)
                                .map_err(|e| self.port_error(name, &field, 0, e))?,
                        );
                    }
                    port.insert("nodePort".into(), json!(node_port));
                } else {
                    let already = old_ports.contains(&(node_port as u16))
                        || txn.new_ports.contains(&(node_port as u16))
                        || by_service_port.iter().any(|(_, np)| *np == node_port);
                    if !already {
                        self.take_port(txn, node_port)
                            .map_err(|e| self.port_error(name, &field, node_port, e))?;
                    }
                }
                by_service_port.push((service_port, node_port));
            }
        }
        if needs_health_check(svc) {
            let hc = svc
                .pointer("/spec/healthCheckNodePort")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if hc == 0 {
                let port = self
                    .next_port(txn)
                    .map_err(|e| self.port_error(name, "spec.healthCheckNodePort", 0, e))?;
                if let Some(spec) = spec_mut(svc) {
                    spec.insert("healthCheckNodePort".into(), json!(port));
                }
            } else if !old_ports.contains(&(hc as u16)) && !txn.new_ports.contains(&(hc as u16)) {
                self.take_port(txn, hc).map_err(|e| {
                    ApiError::internal(&format!(
                        "failed to allocate requested HealthCheck NodePort {hc}: {}",
                        match e {
                            AllocError::Allocated => "provided port is already allocated".to_string(),
                            AllocError::Full => "range is full".to_string(),
                            AllocError::NotInRange => format!(
                                "provided port is not in the valid range. The range of valid ports is {}",
                                self.ports
                            ),
                        }
                    ))
                })?;
            }
        }
        let new_ports = node_ports_in(svc);
        for port in old_ports {
            if !new_ports.contains(&port) {
                txn.release_ports.push(port);
            }
        }
        Ok(())
    }

    /// Allocations for a Service being created (`beginCreate`).
    pub fn allocate_create(
        &self,
        svc: &mut Value,
        dry_run: bool,
    ) -> Result<Allocation<'_>, ApiError> {
        let name = svc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        normalize_cluster_ips(svc, None);
        self.init_ip_families(svc, None, &name)?;
        let mut txn = self.start(dry_run);
        self.alloc_cluster_ips(&mut txn, svc, &name)?;
        self.alloc_node_ports(&mut txn, svc, None, &name)?;
        Ok(txn)
    }

    /// Allocations and releases for a Service update (`beginUpdate`).
    pub fn allocate_update(
        &self,
        svc: &mut Value,
        old: &Value,
        dry_run: bool,
    ) -> Result<Allocation<'_>, ApiError> {
        let name = svc
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        patch_allocated_values(svc, old);
        normalize_cluster_ips(svc, Some(old));
        self.init_ip_families(svc, Some(old), &name)?;
        let mut txn = self.start(dry_run);
        let old_external = !needs_cluster_ip(old);
        let new_external = !needs_cluster_ip(svc);
        if old_external && !new_external {
            self.alloc_cluster_ips(&mut txn, svc, &name)?;
        } else if !old_external && new_external && !is_headless(old) {
            for ip in cluster_ips(old) {
                if let Some(offset) = ip.parse().ok().and_then(|ip| self.cidr.offset_of(ip)) {
                    txn.release_ips.push(offset);
                }
            }
        }
        self.alloc_node_ports(&mut txn, svc, Some(old), &name)?;
        Ok(txn)
    }

    /// Release everything a deleted Service held.
    pub fn release(&self, svc: &Value) {
        let mut used = self.lock();
        for ip in cluster_ips(svc) {
            if let Some(offset) = ip.parse().ok().and_then(|ip| self.cidr.offset_of(ip)) {
                used.ips.remove(&offset);
            }
        }
        for port in node_ports_in(svc) {
            used.ports.remove(&port);
        }
    }
}

/// A random free offset in `[from, to)`: a random start, then a linear scan.
fn random_free(from: u64, to: u64, free: &dyn Fn(&u64) -> bool) -> Option<u64> {
    if to <= from {
        return None;
    }
    let span = to - from;
    let start = rand::random::<u64>() % span;
    (0..span)
        .map(|i| from + (start + i) % span)
        .find(|o| free(o))
}

/// `normalizeClusterIPs`: keep `clusterIPs` in step with `clusterIP`.
fn normalize_cluster_ips(svc: &mut Value, old: Option<&Value>) {
    let new_ip = spec_str(svc, "clusterIP").to_string();
    let new_ips = cluster_ips(svc);
    let Some(spec) = spec_mut(svc) else { return };
    let Some(old) = old else {
        if !new_ip.is_empty() && new_ips.is_empty() {
            spec.insert("clusterIPs".into(), json!([new_ip]));
        }
        return;
    };
    let old_ip = spec_str(old, "clusterIP").to_string();
    let old_ips = cluster_ips(old);
    let mut ips = new_ips;
    if !old_ips.is_empty() && ips.is_empty() && old_ip == new_ip {
        ips = old_ips.clone();
        spec.insert("clusterIPs".into(), json!(ips));
    }
    if old_ip != new_ip {
        let same = ips == old_ips;
        if !old_ip.is_empty() && new_ip.is_empty() {
            if same {
                spec.remove("clusterIPs");
            }
        } else if same {
            spec.insert("clusterIPs".into(), json!([new_ip]));
        }
    }
}

/// `patchAllocatedValues`: values the client did not resend are kept.
fn patch_allocated_values(svc: &mut Value, old: &Value) {
    if needs_cluster_ip(old) && needs_cluster_ip(svc) {
        let old_ip = old.pointer("/spec/clusterIP").cloned();
        let old_ips = old.pointer("/spec/clusterIPs").cloned();
        let new_ips_empty = cluster_ips(svc).is_empty();
        if let Some(spec) = spec_mut(svc) {
            if spec
                .get("clusterIP")
                .and_then(Value::as_str)
                .unwrap_or("")
                .is_empty()
            {
                if let Some(ip) = old_ip {
                    spec.insert("clusterIP".into(), ip);
                }
            }
            if new_ips_empty {
                if let Some(ips) = old_ips.filter(|v| v.as_array().is_some_and(|a| !a.is_empty())) {
                    spec.insert("clusterIPs".into(), ips);
                }
            }
        }
    }
    if needs_node_port(old) && needs_node_port(svc) {
        let old_used: HashSet<i64> = old
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(node_port_of).filter(|n| *n != 0).collect())
            .unwrap_or_default();
        let new_used: HashSet<i64> = svc
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(node_port_of).filter(|n| *n != 0).collect())
            .unwrap_or_default();
        let used: HashSet<i64> = old_used.intersection(&new_used).copied().collect();
        let by_name: Vec<(String, i64)> = old
            .pointer("/spec/ports")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| {
                        (
                            p.get("name")
                                .and_then(Value::as_str)
                                .unwrap_or("")
                                .to_string(),
                            node_port_of(p),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if let Some(ports) = spec_mut(svc)
            .and_then(|s| s.get_mut("ports"))
            .and_then(Value::as_array_mut)
        {
            for port in ports.iter_mut().filter_map(Value::as_object_mut) {
                if port.get("nodePort").and_then(Value::as_i64).unwrap_or(0) == 0 {
                    let name = port.get("name").and_then(Value::as_str).unwrap_or("");
                    let old_value = by_name
                        .iter()
                        .rev()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| *v)
                        .unwrap_or(0);
                    if old_value != 0 && !used.contains(&old_value) {
                        port.insert("nodePort".into(), json!(old_value));
                    }
                }
            }
        }
    }
    if needs_health_check(old) && needs_health_check(svc) {
        let hc = old.pointer("/spec/healthCheckNodePort").cloned();
        if let (Some(spec), Some(hc)) = (spec_mut(svc), hc) {
            if spec
                .get("healthCheckNodePort")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                == 0
            {
                spec.insert("healthCheckNodePort".into(), hc);
            }
        }
    }
}

/// Update validation of the allocated fields (`validateUpgradeDowngradeClusterIPs`).
pub fn validate_update(new: &Value, old: &Value) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    if !needs_cluster_ip(new) || !needs_cluster_ip(old) {
        return issues;
    }
    if is_headless(old) && is_headless(new) {
        return issues;
    }
    let old_ips = cluster_ips(old);
    let new_ips = cluster_ips(new);
    let value = json!(new_ips);
    if old_ips.len() == new_ips.len() {
        for (i, ip) in old_ips.iter().enumerate() {
            if *ip != new_ips[i] {
                issues.push(FieldIssue::invalid(
                    &format!("spec.clusterIPs[{i}]"),
                    &value,
                    "may not change once set",
                ));
            }
        }
    } else if old_ips.len() > new_ips.len() {
        if new_ips.is_empty() {
            issues.push(FieldIssue::invalid(
                "spec.clusterIPs[0]",
                &value,
                "primary clusterIP can not be unset",
            ));
        } else if !old_ips.is_empty() && new_ips[0] != old_ips[0] {
            issues.push(FieldIssue::invalid(
                "spec.clusterIPs[0]",
                &value,
                "may not change once set",
            ));
        }
    } else if !old_ips.is_empty() && new_ips[0] != old_ips[0] {
        issues.push(FieldIssue::invalid(
            "spec.clusterIPs[0]",
            &value,
            "may not change once set",
        ));
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocators() -> ServiceAllocators {
        ServiceAllocators::new(
            DEFAULT_SERVICE_CIDR.parse().unwrap(),
            PortRange {
                base: 30000,
                last: 32767,
            },
        )
    }

    #[test]
    fn cidr_sizes_and_bands_match_upstream() {
        let c: Cidr = "10.0.0.0/24".parse().unwrap();
        assert_eq!((c.size(), c.static_band()), (254, 16));
        let c: Cidr = "10.96.0.0/12".parse().unwrap();
        assert_eq!((c.size(), c.static_band()), (65536, 256));
        let c: Cidr = "10.0.0.7/28".parse().unwrap();
        assert_eq!(
            (c.to_string().as_str(), c.size(), c.static_band()),
            ("10.0.0.0/28", 14, 0)
        );
        let c: Cidr = "fd00::/120".parse().unwrap();
        assert_eq!((c.size(), c.family()), (255, "IPv6"));
        let p = PortRange {
            base: 30000,
            last: 32767,
        };
        assert_eq!((p.size(), p.static_band()), (2768, 86));
    }

    #[test]
    fn every_address_is_handed_out_once_then_the_range_is_full() {
        let a = ServiceAllocators::new(
            "10.1.0.0/28".parse().unwrap(),
            PortRange {
                base: 30000,
                last: 30001,
            },
        );
        let mut seen = HashSet::new();
        let mut held = Vec::new();
        for _ in 0..14 {
            let mut svc = json!({"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}});
            let txn = a.allocate_create(&mut svc, false).unwrap();
            txn.commit();
            let ip = svc["spec"]["clusterIP"].as_str().unwrap().to_string();
            assert!(seen.insert(ip.clone()), "{ip} twice");
            held.push(svc);
        }
        let mut svc = json!({"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}});
        let err = a.allocate_create(&mut svc, false).unwrap_err();
        assert_eq!(
            err.message,
            "Internal error occurred: failed to allocate a serviceIP: range is full"
        );
        a.release(&held[3]);
        let mut svc = json!({"metadata": {"name": "s"}, "spec": {"type": "ClusterIP"}});
        a.allocate_create(&mut svc, false).unwrap().commit();
        assert_eq!(svc["spec"]["clusterIP"], held[3]["spec"]["clusterIP"]);
    }

    #[test]
    fn uncommitted_allocations_are_returned() {
        let a = allocators();
        let mut svc = json!({"metadata": {"name": "s"}, "spec": {"type": "NodePort", "clusterIP": "10.0.0.9",
            "ports": [{"port": 80, "nodePort": 30080}]}});
        drop(a.allocate_create(&mut svc, false).unwrap());
        let mut again = svc.clone();
        a.allocate_create(&mut again, false).unwrap().commit();
        let mut third = svc.clone();
        let err = a.allocate_create(&mut third, false).unwrap_err();
        assert_eq!(err.code, 422);
    }
}
