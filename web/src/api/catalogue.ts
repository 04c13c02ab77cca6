// The class and relation-type catalogue, fetched once per page load: which
// classes are services and redundancy groups, which relation types carry
// failure.
import { useEffect, useState } from 'react';
import type { CatalogueQuery as CatalogueResult } from '../gql/graphql';
import { request } from './client';
import { CatalogueQuery } from './operations';

export interface Catalogue {
  isService: (cls: string) => boolean;
  isGroup: (cls: string) => boolean;
  /** Relation types failure travels along. */
  propagating: string[];
  /** The membership type of redundancy groups (MEMBER_OF). */
  grouping: string[];
}

// The built-in services, used until the catalogue arrives.
const fallback: Catalogue = {
  isService: (c) => c === 'BusinessService' || c === 'ApplicationService',
  isGroup: (c) => c === 'Cluster' || c === 'KubernetesCluster',
  propagating: [],
  grouping: ['MEMBER_OF'],
};

export function toCatalogue(r: CatalogueResult): Catalogue {
  const services = new Set(r.catalogue.classes.filter((c) => c.service).map((c) => c.name));
  const groups = new Set(r.catalogue.classes.filter((c) => c.redundancyGroup).map((c) => c.name));
  return {
    isService: (c) => services.has(c),
    isGroup: (c) => groups.has(c),
    propagating: r.catalogue.relationTypes.filter((t) => t.propagation !== 'NONE').map((t) => t.name),
    grouping: r.catalogue.relationTypes.filter((t) => t.grouping).map((t) => t.name),
  };
}

let cached: Promise<Catalogue> | undefined;

export function useCatalogue(): Catalogue {
  const [cat, setCat] = useState<Catalogue>(fallback);
  useEffect(() => {
    cached ??= request(CatalogueQuery, {}).then(toCatalogue, (e: unknown) => {
      cached = undefined;
      throw e;
    });
    let live = true;
    cached.then(
      (c) => live && setCat(c),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return cat;
}
