"""Working leads on top of the CRM records: lead conversion, duplicate detection and owner
routing. (The lifecycle-stage and lead-status rules every write obeys live in
``revline.crm.lifecycle``.)"""
