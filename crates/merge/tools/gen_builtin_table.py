#!/usr/bin/env python3
"""Regenerates the body of src/types/builtin.table from Go API type definitions.

Usage (from a checkout of each repository):
  gen_builtin_table.py core=k8s.io/api/core/v1/types.go apps=.../apps/v1/types.go \
      batch=... rbac=... coordination=... events=... admissionregistration=... \
      autoscaling=.../autoscaling/v2/types.go networking=... policy=... storage=... \
      scheduling=... discovery=... authentication=... authorization=... \
      meta=k8s.io/apimachinery/pkg/apis/meta/v1/types.go \
      apiext=k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1/types.go \
      apiext=.../types_jsonschema.go > body.txt
then replace everything after the header comment of builtin.table with body.txt.

It reads struct tags (json, patchStrategy, patchMergeKey) and markers (+listType,
+listMapKey, +mapType, +structType, +default) and prints only what differs from
"a plain struct field", plus the zero values Go typed objects always carry.
"""
import re, sys, json
ARGS = [a.split('=', 1) for a in sys.argv[1:]]
files = [path for _, path in ARGS]
_PKG = {path: pkg for pkg, path in ARGS}
PACKAGE_OF = lambda f: _PKG[f]
structs = {}   # name -> {'atomic':bool, 'fields':[...]}
named = {}     # name -> underlying type string
for f in files:
    pkg = PACKAGE_OF(f)
    lines = open(f).read().split('\n')
    comments = []
    i = 0
    cur = None
    while i < len(lines):
        l = lines[i].strip()
        if cur is None:
            m = re.match(r'type (\w+) struct \{$', l)
            if m:
                name = m.group(1)
                atomic = any('+structType=atomic' in c for c in comments)
                cur = {'atomic': atomic, 'fields': [], 'file': f, 'pkg': pkg}
                if False:
                    name = name  # collisions: later wins, report
                    print('COLLISION', name, f, structs[name]['file'], file=sys.stderr)
                structs[pkg+'.'+name] = cur
                comments = []
            else:
                m = re.match(r'type (\w+) (.+)$', l)
                if m and not l.endswith('{') and '(' not in m.group(2):
                    named[pkg+'.'+m.group(1)] = m.group(2).strip()
                if l.startswith('//'):
                    comments.append(l)
                elif l == '':
                    comments = []
                else:
                    comments = []
        else:
            if l == '}':
                cur = None
                comments = []
            elif l.startswith('//'):
                comments.append(l)
            elif l == '':
                comments = []
            else:
                m = re.match(r'(?:(\w+)\s+)?([\w\.\[\]\*]+(?:\[[\w\.]+\][\w\.\[\]\*]+)?)\s+`(.*)`', l)
                if not m:
                    print('UNPARSED', f, l, file=sys.stderr); comments = []; i += 1; continue
                gname, gtype, tags = m.groups()
                jm = re.search(r'json:"([^"]*)"', tags)
                jname = jm.group(1).split(',')[0] if jm else gname
                inline = (gname is None and jname == "") or (jm is not None and ",inline" in jm.group(1))
                ps = re.search(r'patchStrategy:"([^"]*)"', tags)
                pk = re.search(r'patchMergeKey:"([^"]*)"', tags)
                lt = [c.split('+listType=')[1].strip() for c in comments if '+listType=' in c]
                lk = [c.split('+listMapKey=')[1].strip() for c in comments if '+listMapKey=' in c]
                mt = [c.split('+mapType=')[1].strip() for c in comments if '+mapType=' in c]
                df = [c.split('+default=')[1].strip() for c in comments if '+default=' in c]
                if jname == '-' : comments=[]; i+=1; continue
                omitempty = bool(jm and ',omitempty' in jm.group(1))
                cur['fields'].append(dict(go=gname, type=gtype, json=jname, inline=bool(inline), omitempty=omitempty,
                    ps=ps.group(1) if ps else None, pk=pk.group(1) if pk else None,
                    lt=lt[0] if lt else None, lk=lk, mt=mt[0] if mt else None, default=df[0] if df else None))
                comments = []
        i += 1

# ---- table generation ----
S, N = structs, named
ALIAS = {'metav1':'meta','v1':'core','corev1':'core','apiv1':'core'}
SCALAR_EXT = {'resource.Quantity','intstr.IntOrString','metav1.Time','metav1.MicroTime','metav1.Duration','types.UID','Time','MicroTime','Duration','metav1.FieldsV1','FieldsV1','resource.QuantityValue'}
PRIM = {'string','int','int32','int64','bool','float64','float32','byte','uint','uint32','uint64','int8','int16','uint8','uint16'}
def resolve(t, pkg):
    """returns a type descriptor"""
    if t.startswith('*'): return resolve(t[1:], pkg)
    if t == '[]byte': return ('scalar',)
    if t.startswith('[]'): return ('list', resolve(t[2:], pkg))
    m = re.match(r'map\[([^\]]+)\](.+)', t)
    if m: return ('map', resolve(m.group(2), pkg))
    if t in PRIM or t in SCALAR_EXT: return ('scalar',)
    if t in ('runtime.RawExtension','RawExtension'): return ('untyped_atomic',)
    if t in ('JSON',) and pkg=='apiext': return ('deduced',)
    if t in ('JSONSchemaPropsOrArray','JSONSchemaPropsOrBool','JSONSchemaPropsOrStringArray') and pkg=='apiext': return ('deduced',)
    if '.' in t:
        p, n = t.split('.',1)
        p = ALIAS.get(p, p)
    else:
        p, n = pkg, t
    key = p+'.'+n
    if key in S: return ('struct', key)
    if key in N:
        u = N[key]
        if u.startswith('=') : u = u[1:].strip()
        return resolve(u, p)
    if key in ('meta.FieldsV1',): return ('scalar',)
    print('UNRESOLVED', t, pkg, file=sys.stderr)
    return ('deduced',)

def fields_of(key):
    st = S[key]; out = []
    for f in st['fields']:
        if f['inline']:
            r = resolve(f['type'], st['pkg'])
            if r[0] == 'struct': out += fields_of(r[1])
            continue
        out.append((f, resolve(f['type'], st['pkg'])))
    return out

interesting_cache = {}
keyfields = set()  # (structkey, fieldname) used as list keys
def list_rel(f):
    if f['lt']:
        if f['lt'] == 'map': return ('map', f['lk'])
        if f['lt'] == 'set': return ('set', [])
        return ('atomic', [])
    ps = f['ps']
    if ps in ('merge','merge,retainKeys','retainKeys,merge'):
        if f['pk']: return ('map', [f['pk']])
        return ('set', [])
    return ('atomic', [])

def is_interesting(key, stack=()):
    if key in interesting_cache: return interesting_cache[key]
    if key in stack: return True
    st = S[key]
    res = st['atomic']
    for f, r in fields_of(key):
        if field_interesting(f, r, stack+(key,)): res = True
    interesting_cache[key] = res
    return res

def type_interesting(r, stack):
    if r[0] == 'struct': return is_interesting(r[1], stack)
    if r[0] in ('map','untyped_atomic'): return True
    if r[0] == 'deduced': return True
    return False

def zero_of(f, r):
    if f['type'].startswith('*'): return None
    if r[0] == 'struct': return '{}'
    if r[0] in ('list', 'map') and not f.get('omitempty'): return 'null'
    return None

def field_interesting(f, r, stack):
    if zero_of(f, r): return True
    if f['ps']: return True
    if f['mt'] == 'atomic': return True
    if r[0] == 'list':
        rel = list_rel(f)
        if rel[0] != 'atomic': return True
        return False
    return type_interesting(r, stack)

def tstr(r, f=None):
    if r[0] == 'scalar': return 'scalar'
    if r[0] == 'struct': return r[1] if r[1] in emitted else 'opaque'
    if r[0] == 'map':
        pre = 'atomic' if (f and f['mt']=='atomic') else ''
        return pre + '{' + tstr(r[1]) + '}'
    if r[0] == 'list':
        return '[' + tstr(r[1]) + ']'
    return r[0]

emitted = set(); order = []
def visit(key):
    if key in emitted: return
    emitted.add(key); order.append(key)
    for f, r in fields_of(key):
        rr = r
        while rr[0] in ('list','map'): rr = rr[1]
        if rr[0] == 'struct' and (is_interesting(rr[1]) ):
            visit(rr[1])
        if r[0]=='list':
            rel = list_rel(f)
            if rel[0]=='map' and rr[0]=='struct':
                for k in rel[1]: keyfields.add((rr[1], k))

roots = {
 'core/v1/Namespace':'core.Namespace','core/v1/ConfigMap':'core.ConfigMap','core/v1/Secret':'core.Secret',
 'core/v1/ServiceAccount':'core.ServiceAccount','core/v1/Service':'core.Service','core/v1/Pod':'core.Pod',
 'core/v1/Event':'core.Event','core/v1/Endpoints':'core.Endpoints','core/v1/PersistentVolumeClaim':'core.PersistentVolumeClaim',
 'core/v1/PodTemplate':'core.PodTemplate','core/v1/ReplicationController':'core.ReplicationController',
 'core/v1/Node':'core.Node','core/v1/PersistentVolume':'core.PersistentVolume','core/v1/LimitRange':'core.LimitRange','core/v1/ResourceQuota':'core.ResourceQuota',
 'apps/v1/Deployment':'apps.Deployment','apps/v1/StatefulSet':'apps.StatefulSet','apps/v1/DaemonSet':'apps.DaemonSet','apps/v1/ReplicaSet':'apps.ReplicaSet','apps/v1/ControllerRevision':'apps.ControllerRevision',
 'batch/v1/Job':'batch.Job','batch/v1/CronJob':'batch.CronJob',
 'rbac.authorization.k8s.io/v1/Role':'rbac.Role','rbac.authorization.k8s.io/v1/ClusterRole':'rbac.ClusterRole','rbac.authorization.k8s.io/v1/RoleBinding':'rbac.RoleBinding','rbac.authorization.k8s.io/v1/ClusterRoleBinding':'rbac.ClusterRoleBinding',
 'coordination.k8s.io/v1/Lease':'coordination.Lease','events.k8s.io/v1/Event':'events.Event',
 'apiextensions.k8s.io/v1/CustomResourceDefinition':'apiext.CustomResourceDefinition',
 'admissionregistration.k8s.io/v1/MutatingWebhookConfiguration':'admissionregistration.MutatingWebhookConfiguration',
 'admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration':'admissionregistration.ValidatingWebhookConfiguration',
 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy':'admissionregistration.ValidatingAdmissionPolicy',
 'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding':'admissionregistration.ValidatingAdmissionPolicyBinding',
 'autoscaling/v2/HorizontalPodAutoscaler':'autoscaling.HorizontalPodAutoscaler',
 'networking.k8s.io/v1/Ingress':'networking.Ingress','networking.k8s.io/v1/IngressClass':'networking.IngressClass',
 'networking.k8s.io/v1/NetworkPolicy':'networking.NetworkPolicy',
 'policy/v1/PodDisruptionBudget':'policy.PodDisruptionBudget',
 'storage.k8s.io/v1/StorageClass':'storage.StorageClass',
 'scheduling.k8s.io/v1/PriorityClass':'scheduling.PriorityClass',
 'discovery.k8s.io/v1/EndpointSlice':'discovery.EndpointSlice',
 'authentication.k8s.io/v1/TokenReview':'authentication.TokenReview',
 'authentication.k8s.io/v1/SelfSubjectReview':'authentication.SelfSubjectReview',
 'authorization.k8s.io/v1/SubjectAccessReview':'authorization.SubjectAccessReview',
 'authorization.k8s.io/v1/SelfSubjectAccessReview':'authorization.SelfSubjectAccessReview',
 'authorization.k8s.io/v1/LocalSubjectAccessReview':'authorization.LocalSubjectAccessReview',
 'authorization.k8s.io/v1/SelfSubjectRulesReview':'authorization.SelfSubjectRulesReview',
}
def collect_keys(key, seen):
    if key in seen: return
    seen.add(key)
    for f, r in fields_of(key):
        rr = r
        while rr[0] in ('list','map'): rr = rr[1]
        if r[0]=='list':
            rel = list_rel(f)
            if rel[0]=='map' and rr[0]=='struct':
                for k in rel[1]: keyfields.add((rr[1], k))
        if rr[0]=='struct': collect_keys(rr[1], seen)
_seen=set()
for k, v in roots.items(): collect_keys(v, _seen)
for (sk, fk) in list(keyfields):
    for f, r in fields_of(sk):
        if f['json']==fk and f['default']:
            interesting_cache[sk] = True
for k, v in roots.items(): visit(v)
out = []
def short(key): return key.replace('.', '_',0)
for key in order:
    st = S[key]
    lines = []
    for f, r in fields_of(key):
        inter = field_interesting(f, r, ())
        iskey = (key, f['json']) in keyfields
        if not inter and not (iskey and f['default']): continue
        s = f"  {f['json']}: {tstr(r, f)}"
        if r[0]=='list':
            rel = list_rel(f)
            if rel[0]=='set': s += ' set'
            elif rel[0]=='map': s += ' map(' + ','.join(rel[1]) + ')'
        if f['ps']:
            s += ' smp=' + f['ps'] + ('/' + f['pk'] if f['pk'] else '')
        elif f['pk']:
            s += ' smp=/' + f['pk']
        if iskey and f['default']:
            s += ' default=' + f['default']
        z = zero_of(f, r)
        if z: s += ' zero=' + z
        lines.append(s)
    hdr = ('atomic ' if st['atomic'] else '') + 'struct ' + key
    if lines:
        out.append(hdr + ' {\n' + '\n'.join(lines) + '\n}')
    else:
        out.append(hdr)
for k, v in roots.items(): out.append(f'kind {k} = {v}')
sys.stdout.write('\n'.join(out)+'\n')
