"""Owner routing: assignment rules, round robin and least-open-leads, owner workload."""
