//! Curated knowledge the Public Suffix List does not hold: shared
//! multi-tenant zones and the CDN domains popular sites load pages from.
//!
//! The PSL (through the `psl` crate) knows suffixes under which anyone may
//! register (`.com`, `.github.io`, `.s3.amazonaws.com`). It does not know
//! that `.amazonaws.com` as a whole is one customer's bucket away from
//! anyone's, nor that `wikipedia.org` renders from `wikimedia.org`. These
//! two short tables do; extend them in pull requests with a source.

/// A zone where every customer of a provider gets names: allowing it allows
/// them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedZone {
    /// The zone, without a leading dot.
    pub zone: &'static str,
    /// What lives there.
    pub what: &'static str,
    /// What to do instead.
    pub advice: &'static str,
}

const AWS_ADVICE: &str = "reach AWS services through VPC endpoints (gateway endpoints for S3 and DynamoDB, interface endpoints for the rest) and allow only the exact names you use, e.g. `my-bucket.s3.us-east-1.amazonaws.com`";

/// Shared multi-tenant zones, most specific first.
pub const SHARED_ZONES: &[SharedZone] = &[
    SharedZone { zone: "s3.amazonaws.com", what: "every S3 bucket", advice: AWS_ADVICE },
    SharedZone {
        zone: "execute-api.amazonaws.com",
        what: "every API Gateway API",
        advice: AWS_ADVICE,
    },
    SharedZone {
        zone: "lambda-url.amazonaws.com",
        what: "every Lambda function URL",
        advice: AWS_ADVICE,
    },
    SharedZone {
        zone: "amazonaws.com",
        what: "every customer's S3 bucket, API Gateway API, Lambda function URL and load balancer",
        advice: AWS_ADVICE,
    },
    SharedZone {
        zone: "cloudfront.net",
        what: "every CloudFront distribution",
        advice: "allow the distribution you need (`d111111abcdef8.cloudfront.net`), or the site's own CNAME",
    },
    SharedZone {
        zone: "githubusercontent.com",
        what: "every user's raw files, gists and release assets",
        advice: "allow the specific hosts (`objects.githubusercontent.com`) and accept that they serve any repository",
    },
    SharedZone {
        zone: "github.io",
        what: "every GitHub Pages site",
        advice: "allow the specific `owner.github.io` sites",
    },
    SharedZone {
        zone: "ngrok.io",
        what: "every ngrok tunnel (a classic exfiltration and C2 channel)",
        advice: "do not allow tunnelling services; allow a reserved domain if you run one",
    },
    SharedZone {
        zone: "ngrok-free.app",
        what: "every free ngrok tunnel",
        advice: "do not allow tunnelling services",
    },
    SharedZone {
        zone: "trycloudflare.com",
        what: "every Cloudflare quick tunnel",
        advice: "do not allow tunnelling services",
    },
    SharedZone {
        zone: "workers.dev",
        what: "every Cloudflare Worker",
        advice: "allow the specific `name.account.workers.dev` hosts",
    },
    SharedZone {
        zone: "herokuapp.com",
        what: "every Heroku app",
        advice: "allow the specific app hosts",
    },
    SharedZone {
        zone: "azurewebsites.net",
        what: "every Azure App Service site",
        advice: "allow the specific site hosts, or use Private Link",
    },
    SharedZone {
        zone: "blob.core.windows.net",
        what: "every Azure storage account",
        advice: "allow the specific storage accounts, or use Private Link",
    },
    SharedZone {
        zone: "googleusercontent.com",
        what: "every user's Google-hosted content",
        advice: "allow the specific hosts",
    },
    SharedZone {
        zone: "storage.googleapis.com",
        what: "every Google Cloud Storage bucket",
        advice: "allow bucket-specific hosts, or use Private Service Connect",
    },
    SharedZone {
        zone: "appspot.com",
        what: "every App Engine app",
        advice: "allow the specific app hosts",
    },
    SharedZone {
        zone: "vercel.app",
        what: "every Vercel deployment",
        advice: "allow the specific deployment hosts",
    },
    SharedZone {
        zone: "netlify.app",
        what: "every Netlify site",
        advice: "allow the specific site hosts",
    },
    SharedZone {
        zone: "pages.dev",
        what: "every Cloudflare Pages site",
        advice: "allow the specific site hosts",
    },
];

/// The shared zone a leading-dot entry for `name` covers in full, if any:
/// `name` is the zone itself or a parent of it (`.amazonaws.com` covers
/// `s3.amazonaws.com`). Names *inside* a zone (`my-bucket.s3.amazonaws.com`)
/// are what the advice recommends, so they are not reported.
pub fn shared_zone_covered_by(name: &str) -> Option<&'static SharedZone> {
    let exact = SHARED_ZONES.iter().find(|z| z.zone == name);
    exact.or_else(|| {
        SHARED_ZONES.iter().find(|z| {
            z.zone.len() > name.len()
                && z.zone.ends_with(name)
                && z.zone.as_bytes()[z.zone.len() - name.len() - 1] == b'.'
        })
    })
}

/// A site and a name its pages load resources from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CdnHint {
    /// The site's registrable domain.
    pub site: &'static str,
    /// A host its pages need (probed against the policy).
    pub needs: &'static str,
    /// The entry to suggest.
    pub suggest: &'static str,
}

/// Sites and the CDN hosts their pages need. Sources: the example captures
/// (`pcaps/tls_chromium_wikipedia.pcap` loads `upload.wikimedia.org` and
/// `cdn.sstatic.net`) and the walkthrough's note on `awsstatic.com`.
pub const CDN_HINTS: &[CdnHint] = &[
    CdnHint { site: "wikipedia.org", needs: "upload.wikimedia.org", suggest: ".wikimedia.org" },
    CdnHint { site: "stackoverflow.com", needs: "cdn.sstatic.net", suggest: ".sstatic.net" },
    CdnHint { site: "aws.amazon.com", needs: "a0.awsstatic.com", suggest: ".awsstatic.com" },
    CdnHint { site: "github.com", needs: "github.githubassets.com", suggest: ".githubassets.com" },
    CdnHint { site: "pypi.org", needs: "files.pythonhosted.org", suggest: ".pythonhosted.org" },
    CdnHint { site: "youtube.com", needs: "i.ytimg.com", suggest: ".ytimg.com" },
    CdnHint { site: "reddit.com", needs: "www.redditstatic.com", suggest: ".redditstatic.com" },
];
