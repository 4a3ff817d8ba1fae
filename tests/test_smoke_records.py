from starlette.testclient import TestClient


def test_create_and_read_contact(client: TestClient) -> None:
    r = client.post("/crm/v3/objects/contacts", json={"properties": {"email": "Ada@Example.com"}})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    got = client.get(f"/crm/v3/objects/contacts/{cid}").json()
    assert got["properties"]["email"] == "ada@example.com"
