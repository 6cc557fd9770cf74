import { addDays, addMonths } from '../deadlines/dates.js';
import { reference, termEnding, termStarting, years, type DemoVendor } from './plan.js';

/**
 * Five vendors in the vendors' own licensing language. Names are invented (websites on .example); prices
 * are plausible list prices of their kind. Unit prices of subscriptions are per unit and year, of
 * perpetual licences per unit once, with annual support as a percentage of the net price.
 */
export function demoVendors(today: string): DemoVendor[] {
  return [databaseVendor(today), officeVendor(today), designVendor(today), monitoringVendor(today), crmVendor(today)];
}

/** Perpetual licences per processor core, sold in packs of two, with 22 % yearly support. */
function databaseVendor(today: string): DemoVendor {
  const production = addMonths(today, -52);
  const testing = addMonths(today, -40);
  const diagnostics = termStarting(addMonths(today, -38), 36);
  const disasterRecovery = addMonths(today, -28);
  const analytics = addMonths(today, -10);
  const offer = addDays(today, 30);
  const support = { maintenancePercent: '22' };
  return {
    name: 'Polaris Data Systems',
    website: 'https://www.polaris-data.example',
    notes:
      'Perpetual licences; Software Update & Support is invoiced every January at 22 % of the net licence fees. Licence audit clause: at most once every three years, 45 days notice.',
    aliases: ['Polaris', 'PDS', 'Polaris Data Systems GmbH'],
    currency: 'EUR',
    metrics: [
      {
        metric: 'core',
        definition:
          'Processor core: every physical core of every server on which the database is installed or running, multiplied by the core factor (0.5 for x86 and ARM) and rounded up. Sold in packs of 2 cores. Virtual machines count all cores of every host they can run on, unless hard-partitioned.',
      },
      {
        metric: 'processor',
        definition: 'Standard Edition only: one licence per occupied processor socket, on servers with at most two sockets.',
      },
    ],
    products: [
      { key: 'ee', name: 'Polaris Database Enterprise Edition', sku: 'PDS-DB-EE-2C', metric: 'core', blockSize: 2 },
      { key: 'partitioning', name: 'Polaris Partitioning Option', sku: 'PDS-OPT-PART-2C', metric: 'core', blockSize: 2 },
      { key: 'diagnostics', name: 'Polaris Diagnostics Pack', sku: 'PDS-OPT-DIAG-2C', metric: 'core', blockSize: 2 },
      { key: 'se', name: 'Polaris Database Standard Edition', sku: 'PDS-DB-SE-SKT', metric: 'processor', blockSize: 1 },
    ],
    deals: [
      {
        key: 'production',
        reference: reference('PDS', production, 147),
        title: 'Database licences — production cluster',
        signedOn: production,
        startsOn: addDays(production, 14),
        terms: 'Perpetual licences for the two production nodes (16 cores each side, core factor 0.5).',
        lineItems: [
          { product: 'ee', quantity: 16, listUnitPrice: '9500.00', discountPercent: '40', ...support },
          { product: 'partitioning', quantity: 16, listUnitPrice: '2300.00', discountPercent: '40', ...support },
        ],
      },
      {
        key: 'testing',
        reference: reference('PDS', testing, 388),
        title: 'Standard Edition — test and development',
        signedOn: testing,
        startsOn: testing,
        lineItems: [{ product: 'se', quantity: 1, listUnitPrice: '17500.00', discountPercent: '15', ...support }],
      },
      {
        key: 'diagnostics',
        status: 'terminated',
        reference: reference('PDS', diagnostics.startsOn, 402),
        title: 'Diagnostics Pack — term licence',
        signedOn: diagnostics.startsOn,
        ...diagnostics,
        noticePeriodDays: 90,
        terms:
          'Term licence for 36 months. Terminated early by mutual agreement after the move to Lumen APM; no refund for the remaining term.',
        lineItems: [{ product: 'diagnostics', quantity: 16, listUnitPrice: '1500.00', discountPercent: '25', ...support }],
      },
      {
        key: 'disaster-recovery',
        reference: reference('PDS', disasterRecovery, 82),
        title: 'Standard Edition — disaster-recovery site',
        signedOn: disasterRecovery,
        startsOn: disasterRecovery,
        lineItems: [{ product: 'se', quantity: 2, listUnitPrice: '17500.00', discountPercent: '20', ...support }],
      },
      {
        key: 'analytics',
        reference: reference('PDS', analytics, 219),
        title: 'Database licences — analytics cluster',
        signedOn: analytics,
        startsOn: analytics,
        lineItems: [{ product: 'ee', quantity: 8, listUnitPrice: '9500.00', discountPercent: '45', ...support }],
      },
      {
        key: 'reporting-v1',
        kind: 'proposal',
        reference: reference('PDS-Q', today, 19),
        title: 'Expansion: reporting cluster',
        startsOn: offer,
        terms: 'Offer for 8 cores Enterprise Edition with Partitioning for the new reporting cluster.',
        lineItems: [
          { product: 'ee', quantity: 8, listUnitPrice: '9950.00', discountPercent: '30', ...support },
          { product: 'partitioning', quantity: 8, listUnitPrice: '2400.00', discountPercent: '30', ...support },
        ],
      },
      {
        key: 'reporting-v2',
        kind: 'proposal',
        supersedes: 'reporting-v1',
        reference: `${reference('PDS-Q', today, 19)}-R1`,
        title: 'Expansion: reporting cluster (revised offer)',
        startsOn: offer,
        terms: `Revised after negotiation: 42 % on licences, support at 21 % fixed for three years. Valid until ${addDays(today, 45)}.`,
        lineItems: [
          { product: 'ee', quantity: 8, listUnitPrice: '9950.00', discountPercent: '42', maintenancePercent: '21' },
          { product: 'partitioning', quantity: 8, listUnitPrice: '2400.00', discountPercent: '42', maintenancePercent: '21' },
        ],
      },
    ],
  };
}

/** An enterprise agreement per user in packs of 25, with yearly true-ups; its renewal is being negotiated. */
function officeVendor(today: string): DemoVendor {
  const current = termEnding(addDays(today, 70), 36);
  const previous = termEnding(addDays(current.startsOn, -1), 24);
  const renewal = termStarting(addDays(current.endsOn, 1), 36);
  const yearTwo = addMonths(current.startsOn, 12);
  const yearThree = addMonths(current.startsOn, 24);
  const agreement =
    'Unit prices per user and year, invoiced yearly in advance. Licences may be added at any time (true-up) but not reduced before the end of the term.';
  return {
    name: 'Officium Software',
    website: 'https://www.officium-software.example',
    notes:
      'Bought through the Swiss reseller; prices in CHF. The enterprise agreement needs written notice 60 days before its end, otherwise the reseller renews it at the then-current list price.',
    aliases: ['Officium', 'Officium Software AG', 'OFS'],
    currency: 'CHF',
    metrics: [
      {
        metric: 'user',
        definition:
          'A user is one named person, who may use the suite on up to 5 computers, 5 tablets and 5 phones. Sold in packs of 25 users. A licence may be reassigned to another person at most every 90 days, and at any time when an employee leaves.',
      },
      {
        metric: 'device',
        definition: 'A device licence covers one shared device — a meeting-room system or a kiosk PC — used by any number of people.',
      },
    ],
    products: [
      { key: 'e3', name: 'Officium Suite E3', sku: 'OFS-E3-25', metric: 'user', blockSize: 25 },
      { key: 'f1', name: 'Officium Suite F1 (frontline)', sku: 'OFS-F1-25', metric: 'user', blockSize: 25 },
      { key: 'archive', name: 'Officium Mail Archive', sku: 'OFS-ARC-25', metric: 'user', blockSize: 25 },
      { key: 'rooms', name: 'Officium Rooms', sku: 'OFS-ROOM-1', metric: 'device', blockSize: 1 },
    ],
    deals: [
      {
        key: 'ea-1',
        status: 'expired',
        reference: reference('OFS-EA', previous.startsOn, 5120),
        title: `Enterprise agreement ${years(previous)}`,
        signedOn: addDays(previous.startsOn, -12),
        ...previous,
        noticePeriodDays: 60,
        terms: agreement,
        lineItems: [
          { product: 'e3', quantity: 250, listUnitPrice: '420.00', discountPercent: '12' },
          { product: 'f1', quantity: 75, listUnitPrice: '96.00', discountPercent: '10' },
          { product: 'archive', quantity: 250, listUnitPrice: '36.00', discountPercent: '12' },
        ],
      },
      {
        key: 'ea-2',
        supersedes: 'ea-1',
        reference: reference('OFS-EA', current.startsOn, 6344),
        title: `Enterprise agreement ${years(current)}`,
        signedOn: addDays(current.startsOn, -20),
        ...current,
        noticePeriodDays: 60,
        terms: agreement,
        lineItems: [
          { product: 'e3', quantity: 275, listUnitPrice: '432.00', discountPercent: '15' },
          { product: 'f1', quantity: 100, listUnitPrice: '99.00', discountPercent: '12' },
          { product: 'archive', quantity: 275, listUnitPrice: '38.40', discountPercent: '15' },
          { product: 'rooms', quantity: 6, listUnitPrice: '540.00' },
        ],
      },
      {
        key: 'true-up-2',
        reference: reference('OFS-TU', yearTwo, 6344),
        title: `True-up ${yearTwo.slice(0, 4)}: 25 more E3 users`,
        signedOn: yearTwo,
        startsOn: yearTwo,
        endsOn: current.endsOn,
        terms: 'Co-terminous with the enterprise agreement.',
        lineItems: [{ product: 'e3', quantity: 25, listUnitPrice: '432.00', discountPercent: '15' }],
      },
      {
        key: 'true-up-3',
        reference: reference('OFS-TU', yearThree, 6345),
        title: `True-up ${yearThree.slice(0, 4)}: E3 and frontline users`,
        signedOn: yearThree,
        startsOn: yearThree,
        endsOn: current.endsOn,
        terms: 'Co-terminous with the enterprise agreement; the 2 % list price increase of this year applies.',
        lineItems: [
          { product: 'e3', quantity: 25, listUnitPrice: '440.64', discountPercent: '15' },
          { product: 'f1', quantity: 25, listUnitPrice: '100.98', discountPercent: '12' },
        ],
      },
      {
        key: 'renewal-v1',
        kind: 'proposal',
        supersedes: 'ea-2',
        reference: reference('OFS-Q', today, 811),
        title: `Enterprise agreement renewal ${years(renewal)}`,
        ...renewal,
        noticePeriodDays: 60,
        terms: `${agreement} First offer from the reseller.`,
        lineItems: [
          { product: 'e3', quantity: 350, listUnitPrice: '468.00', discountPercent: '10' },
          { product: 'f1', quantity: 125, listUnitPrice: '108.00', discountPercent: '8' },
          { product: 'archive', quantity: 350, listUnitPrice: '40.80', discountPercent: '10' },
          { product: 'rooms', quantity: 8, listUnitPrice: '540.00' },
        ],
      },
      {
        key: 'renewal-v2',
        kind: 'proposal',
        supersedes: 'renewal-v1',
        reference: `${reference('OFS-Q', today, 811)}-2`,
        title: `Enterprise agreement renewal ${years(renewal)} (second offer)`,
        ...renewal,
        noticePeriodDays: 60,
        terms: `${agreement} Second offer: prices held for the whole term, 18 % on E3, Mail Archive included in E3 from year two.`,
        lineItems: [
          { product: 'e3', quantity: 350, listUnitPrice: '468.00', discountPercent: '18' },
          { product: 'f1', quantity: 125, listUnitPrice: '108.00', discountPercent: '15' },
          { product: 'archive', quantity: 350, listUnitPrice: '40.80', discountPercent: '60' },
          { product: 'rooms', quantity: 8, listUnitPrice: '540.00', discountPercent: '10' },
        ],
      },
    ],
  };
}

/** Yearly team subscriptions per named user, renewed every year at a new price; now auto-renewing. */
function designVendor(today: string): DemoVendor {
  const currentEnd = addDays(today, 200);
  const seats = [
    { studio: 8, studioPrice: '659.88', vector: 5, vectorPrice: '263.88', discount: '0' },
    { studio: 10, studioPrice: '719.88', vector: 5, vectorPrice: '263.88', discount: '5' },
    { studio: 12, studioPrice: '779.88', vector: 6, vectorPrice: '287.88', discount: '8' },
    { studio: 14, studioPrice: '779.88', vector: 6, vectorPrice: '299.88', discount: '10' },
    { studio: 15, studioPrice: '839.88', vector: 8, vectorPrice: '299.88', discount: '10' },
  ];
  const last = seats.length - 1;
  return {
    name: 'Pixelwerk',
    website: 'https://www.pixelwerk.example',
    notes: 'Team subscription billed in USD by the vendor directly; the credit card on file is the marketing department’s.',
    aliases: ['Pixelwerk Inc.', 'Pixelwerk Creative Cloud'],
    currency: 'USD',
    metrics: [
      {
        metric: 'named_user',
        definition:
          'A named user is one identified person, who may install the apps on two computers and use them on one at a time. A seat may be moved to another person when its user leaves the team or changes role, at most once per quarter.',
      },
      {
        metric: 'subscription',
        definition:
          'A Stock plan is a subscription per team: a monthly allowance of downloads shared by all named users; unused downloads roll over for one month.',
      },
    ],
    products: [
      { key: 'studio', name: 'Pixelwerk Studio (all apps)', sku: 'PXW-STUDIO-NU', metric: 'named_user', blockSize: 1 },
      { key: 'vector', name: 'Pixelwerk Vector', sku: 'PXW-VECTOR-NU', metric: 'named_user', blockSize: 1 },
      { key: 'stock', name: 'Pixelwerk Stock — 40 assets per month', sku: 'PXW-STOCK-40', metric: 'subscription', blockSize: 1 },
    ],
    deals: seats.map((year, index) => {
      const term = termEnding(addMonths(currentEnd, -12 * (last - index)), 12);
      const isCurrent = index === last;
      return {
        key: `team-${index}`,
        ...(isCurrent ? { autoRenew: true, renewalTermMonths: 12 } : { status: 'expired' as const }),
        ...(index > 0 ? { supersedes: `team-${index - 1}` } : {}),
        reference: reference('PXW', term.startsOn, 3300 + index),
        title: `Team subscription ${years(term)}`,
        signedOn: addDays(term.startsOn, -10),
        ...term,
        noticePeriodDays: 30,
        terms: isCurrent
          ? 'Renews automatically for 12 months at the then-current price unless cancelled 30 days before the end of the term.'
          : undefined,
        lineItems: [
          { product: 'studio', quantity: year.studio, listUnitPrice: year.studioPrice, discountPercent: year.discount },
          { product: 'vector', quantity: year.vector, listUnitPrice: year.vectorPrice, discountPercent: year.discount },
          { product: 'stock', quantity: 1, listUnitPrice: '2999.88' },
        ],
      };
    }),
  };
}

/** A monitoring SaaS per host (instance) plus yearly commitments, auto-renewing with 30 days notice. */
function monitoringVendor(today: string): DemoVendor {
  const termEnd = addDays(today, 45);
  const commitment = termEnding(addMonths(termEnd, -24), 12);
  const pilot = termEnding(addDays(commitment.startsOn, -1), 3);
  const apm = { startsOn: addMonths(today, -10), endsOn: termEnd };
  const synthetics = termStarting(addMonths(today, -20), 12);
  const renewing = { noticePeriodDays: 30, autoRenew: true, renewalTermMonths: 12 };
  return {
    name: 'Lumen Observability',
    website: 'https://www.lumen-observability.example',
    notes: 'SaaS, hosted in the EU (Frankfurt). Usage above the committed host count is billed monthly in arrears at list price.',
    aliases: ['Lumen', 'Lumen Observability B.V.'],
    currency: 'EUR',
    metrics: [
      {
        metric: 'instance',
        definition:
          'A host is any physical server, virtual machine or cloud instance running the Lumen agent. Billing counts the 99th percentile of hosts monitored at the same time in each hour of the month; containers on a monitored host are free.',
      },
      {
        metric: 'subscription',
        definition:
          'Log Management and Synthetic Tests are yearly commitments to a volume (GB ingested per day, test runs per month); overage is billed at list price.',
      },
    ],
    products: [
      { key: 'infrastructure', name: 'Lumen Infrastructure Monitoring', sku: 'LUM-INFRA-HOST', metric: 'instance', blockSize: 1 },
      { key: 'apm', name: 'Lumen APM', sku: 'LUM-APM-HOST', metric: 'instance', blockSize: 1 },
      { key: 'logs', name: 'Lumen Log Management — 50 GB per day', sku: 'LUM-LOG-50', metric: 'subscription', blockSize: 1 },
      {
        key: 'synthetics',
        name: 'Lumen Synthetic Tests — 10,000 runs per month',
        sku: 'LUM-SYN-10K',
        metric: 'subscription',
        blockSize: 1,
      },
    ],
    deals: [
      {
        key: 'pilot',
        status: 'expired',
        reference: reference('LUM', pilot.startsOn, 71),
        title: 'Monitoring pilot',
        signedOn: pilot.startsOn,
        ...pilot,
        terms: 'Free three-month pilot for 20 hosts.',
        lineItems: [{ product: 'infrastructure', quantity: 20, listUnitPrice: '216.00', discountPercent: '100' }],
      },
      {
        key: 'commitment',
        supersedes: 'pilot',
        reference: reference('LUM', commitment.startsOn, 118),
        title: 'Monitoring commitment',
        signedOn: addDays(commitment.startsOn, -7),
        ...commitment,
        ...renewing,
        terms: 'Prices per host and year. Renews for 12 months unless cancelled in writing 30 days before the end of a term.',
        lineItems: [
          { product: 'infrastructure', quantity: 120, listUnitPrice: '216.00', discountPercent: '20' },
          { product: 'logs', quantity: 1, listUnitPrice: '9600.00', discountPercent: '15' },
        ],
      },
      {
        key: 'apm',
        reference: reference('LUM', apm.startsOn, 164),
        title: 'APM for the customer portal',
        signedOn: apm.startsOn,
        ...apm,
        ...renewing,
        terms: 'Co-terminous with the monitoring commitment.',
        lineItems: [{ product: 'apm', quantity: 40, listUnitPrice: '372.00', discountPercent: '15' }],
      },
      {
        key: 'synthetics',
        status: 'terminated',
        reference: reference('LUM', synthetics.startsOn, 139),
        title: 'Synthetic monitoring',
        signedOn: synthetics.startsOn,
        ...synthetics,
        noticePeriodDays: 30,
        terms: 'Cancelled at the end of the first term; replaced by checks in the monitoring commitment.',
        lineItems: [{ product: 'synthetics', quantity: 1, listUnitPrice: '1200.00' }],
      },
    ],
  };
}

/** A CRM per named user in packs of 5, yearly auto-renewal with 90 days notice. */
function crmVendor(today: string): DemoVendor {
  const termEnd = addDays(today, 120);
  const subscription = termEnding(addMonths(termEnd, -12), 12);
  const initial = termEnding(addDays(subscription.startsOn, -1), 24);
  const onboarding = termStarting(initial.startsOn, 3);
  const serviceDesk = termStarting(addMonths(today, -30), 12);
  const relaunch = termStarting(addDays(termEnd, 1), 12);
  return {
    name: 'Kundenstern CRM',
    website: 'https://www.kundenstern.example',
    notes: 'Swiss CRM, data hosted in Switzerland. Account manager: regional sales team Zurich.',
    aliases: ['Kundenstern', 'Kundenstern AG'],
    currency: 'CHF',
    metrics: [
      {
        metric: 'named_user',
        definition:
          'Each named user has a personal login that must not be shared. Sold in packs of 5. Read-only users are free up to twice the number of paid users.',
      },
      {
        metric: 'instance',
        definition:
          'A sandbox is a separate test instance holding a copy of the production configuration; one partial sandbox per contract is free.',
      },
      { metric: 'other', definition: 'Services are fixed-price packages described in the order form.' },
    ],
    products: [
      { key: 'sales', name: 'Kundenstern Sales Professional', sku: 'KST-SALES-PRO-5', metric: 'named_user', blockSize: 5 },
      { key: 'service', name: 'Kundenstern Service Desk', sku: 'KST-SERVICE-5', metric: 'named_user', blockSize: 5 },
      { key: 'sandbox', name: 'Kundenstern Full Sandbox', sku: 'KST-SANDBOX', metric: 'instance', blockSize: 1 },
      { key: 'onboarding', name: 'Kundenstern Onboarding Package', sku: 'KST-SVC-ONB', metric: 'other', blockSize: 1 },
    ],
    deals: [
      {
        key: 'onboarding',
        status: 'expired',
        reference: reference('KST', onboarding.startsOn, 2031),
        title: 'Onboarding and data migration',
        signedOn: addDays(onboarding.startsOn, -14),
        ...onboarding,
        lineItems: [{ product: 'onboarding', quantity: 1, listUnitPrice: '18500.00', discountPercent: '10' }],
      },
      {
        key: 'initial',
        status: 'expired',
        reference: reference('KST', initial.startsOn, 2030),
        title: `CRM initial term ${years(initial)}`,
        signedOn: addDays(initial.startsOn, -14),
        ...initial,
        noticePeriodDays: 90,
        lineItems: [
          { product: 'sales', quantity: 35, listUnitPrice: '1260.00', discountPercent: '15' },
          { product: 'sandbox', quantity: 1, listUnitPrice: '2400.00' },
        ],
      },
      {
        key: 'subscription',
        supersedes: 'initial',
        reference: reference('KST', subscription.startsOn, 2544),
        title: 'CRM subscription',
        signedOn: addDays(subscription.startsOn, -30),
        ...subscription,
        noticePeriodDays: 90,
        autoRenew: true,
        renewalTermMonths: 12,
        terms:
          'Renews for 12 months unless cancelled 90 days before the end of a term; list price increases are capped at 5 % per renewal.',
        lineItems: [
          { product: 'sales', quantity: 45, listUnitPrice: '1320.00', discountPercent: '12' },
          { product: 'sandbox', quantity: 1, listUnitPrice: '2400.00' },
        ],
      },
      {
        key: 'service-desk',
        status: 'terminated',
        reference: reference('KST', serviceDesk.startsOn, 2611),
        title: 'Service Desk',
        signedOn: serviceDesk.startsOn,
        ...serviceDesk,
        noticePeriodDays: 90,
        terms: 'Cancelled after the first year: the support team moved to the ticketing tool of the parent company.',
        lineItems: [{ product: 'service', quantity: 15, listUnitPrice: '1080.00', discountPercent: '10' }],
      },
      {
        key: 'service-desk-offer',
        kind: 'proposal',
        reference: reference('KST-Q', today, 87),
        title: 'Service Desk relaunch',
        ...relaunch,
        noticePeriodDays: 90,
        terms: 'Offer to bring the service team back onto the CRM from the next subscription term.',
        lineItems: [{ product: 'service', quantity: 10, listUnitPrice: '1140.00', discountPercent: '15' }],
      },
    ],
  };
}
